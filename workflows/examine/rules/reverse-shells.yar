/* Reverse shells and bind shells in scripts, units and crontabs (issue 12). */
rule reverse_shell_dev_tcp
{
    meta:
        severity = "high"
        category = "execution"
        title = "Reverse shell through /dev/tcp"
    strings:
        $a = /(bash|sh)\s+-i\s*[^\n]{0,20}\/dev\/tcp\/[0-9a-zA-Z.\-]+\/[0-9]+/
        $b = /exec\s+[0-9]+<>\/dev\/tcp\//
        $c = /\/dev\/tcp\/[0-9.]+\/[0-9]+\s+0>&1/
    condition:
        filesize < 5MB and any of them
}

rule reverse_shell_netcat_socat_scripting
{
    meta:
        severity = "high"
        category = "execution"
        title = "Reverse shell (netcat, socat or scripting one-liner)"
    strings:
        $nc = /\b(nc|ncat|netcat)\s+[^\n|;]{0,40}-e\s+\/bin\/(ba)?sh/
        $mkfifo = /mkfifo\s+\/tmp\/[^\n;]{1,20};\s*[^\n]{0,40}\|\s*\/bin\/(ba)?sh\s+-i/
        $socat = /socat\s+[^\n]{0,40}exec:['"]?(\/bin\/)?(ba)?sh/ nocase
        $py = /socket\.socket\([^\n]{0,200}\.connect\([^\n]{0,200}(pty\.spawn|subprocess\.call\(\[?['"]\/bin\/(ba)?sh)/
        $perl = /perl\s+-e\s+['"]use Socket;[^\n]{0,200}exec\(['"]\/bin\/(ba)?sh/
    condition:
        filesize < 5MB and any of them
}
