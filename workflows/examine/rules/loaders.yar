/* Loaders and user-mode rootkits (issue 12): download-and-run droppers, LD_PRELOAD process hiders. */
rule loader_download_and_run
{
    meta:
        severity = "high"
        category = "execution"
        title = "Downloader: fetched content piped into a shell"
    strings:
        $a = /(curl|wget)\s[^\n|;]{0,200}\|\s*(sudo\s+)?(ba|da|z)?sh\b/
        $b = /(curl|wget)\s[^\n]{0,200}-O\s*\/(tmp|var\/tmp|dev\/shm)\/[^\n]{0,120}(chmod\s+\+?[0-7x]+|&&\s*\/(tmp|var\/tmp|dev\/shm)\/)/
        $c = /base64\s+(-d|--decode)[^\n|]{0,40}\|\s*(ba)?sh\b/
    condition:
        filesize < 5MB and any of them
}

rule rootkit_ld_preload_process_hider
{
    meta:
        severity = "critical"
        category = "persistence"
        title = "User-mode rootkit: shared object hooking readdir to hide processes"
    strings:
        $elf = { 7F 45 4C 46 }
        $r1 = "readdir" fullword
        $r2 = "readdir64" fullword
        $d = "dlsym"
        $p1 = "/proc/self/fd/%d"
        $p2 = "/proc/%s/stat"
        $p3 = "process_to_filter"
        $p4 = "/etc/ld.so.preload"
    condition:
        $elf at 0 and filesize < 20MB and any of ($r*) and $d and 2 of ($p*)
}

rule loader_known_kernel_rootkit_names
{
    meta:
        severity = "critical"
        category = "persistence"
        title = "Kernel rootkit markers (Diamorphine, Reptile, Suterusu)"
    strings:
        $a = "diamorphine_" ascii
        $b = "reptile_module" ascii
        $c = "suterusu" ascii
    condition:
        filesize < 20MB and any of them
}
