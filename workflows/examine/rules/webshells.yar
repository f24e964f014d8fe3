/*
 * Webshells (issue 12): PHP/JSP/ASP code that runs what the request says. Severity is earned: an admin
 * page that runs a fixed command (shell_exec('/usr/bin/uptime')) does not match; code that passes request
 * input to an executing or evaluating function does.
 * Meta read by the engine: severity, category, title (no ']' in values).
 */
rule webshell_php_request_exec
{
    meta:
        severity = "critical"
        category = "access"
        title = "PHP webshell: request input passed to a command or eval"
    strings:
        $exec = /(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|create_function)\s*\(\s*[^;)]{0,60}\$_(GET|POST|REQUEST|COOKIE|SERVER\[.HTTP_)/ nocase
        $backtick = /`\s*\$_(GET|POST|REQUEST|COOKIE)\[/
    condition:
        filesize < 2MB and any of them
}

rule webshell_php_encoded_eval
{
    meta:
        severity = "high"
        category = "access"
        title = "PHP backdoor: eval of decoded content"
    strings:
        $a = /(eval|assert)\s*\(\s*@?(base64_decode|gzinflate|gzuncompress|str_rot13|gzdecode|hex2bin)\s*\(/ nocase
        $b = /preg_replace\s*\(\s*['"][^'"]{1,40}\/e['"]/ nocase
    condition:
        filesize < 2MB and any of them
}

rule webshell_jsp_runtime_exec
{
    meta:
        severity = "critical"
        category = "access"
        title = "JSP webshell: request parameter passed to Runtime.exec"
    strings:
        $a = /Runtime\.getRuntime\(\)\.exec\s*\(\s*request\.getParameter/ nocase
    condition:
        filesize < 2MB and $a
}

rule webshell_known_tool_markers
{
    meta:
        severity = "high"
        category = "access"
        title = "Known webshell kit markers"
    strings:
        $c99 = "c99shell" nocase
        $r57 = "r57shell" nocase
        $wso = "WSO 2." nocase
        $b374k = "b374k" nocase
        $weevely = "$kh=\"" 
    condition:
        filesize < 5MB and any of them
}
