/*
 * Cryptocurrency miners (issue 12): a pool URL with miner configuration or miner strings. `weaker_than`
 * names a rule whose match on the same file makes this one redundant (the engine keeps the stronger).
 */
rule miner_xmrig_like
{
    meta:
        severity = "high"
        category = "activity"
        title = "Cryptocurrency miner (xmrig-like configuration or binary)"
    strings:
        $pool1 = "stratum+tcp://" nocase
        $pool2 = "stratum+ssl://" nocase
        $pool3 = "stratum2+tcp://" nocase
        $m1 = "xmrig" nocase
        $m2 = "randomx" nocase
        $m3 = "\"donate-level\""
        $m4 = "cryptonight" nocase
        $m5 = "\"algo\": \"rx/0\""
        $m6 = "--cpu-max-threads-hint"
        $m7 = "kdevtmpfsi"
    condition:
        any of ($pool*) and 2 of ($m*)
}

rule miner_pool_url
{
    meta:
        severity = "medium"
        category = "activity"
        title = "Mining pool URL"
        weaker_than = "miner_xmrig_like"
    strings:
        $pool1 = "stratum+tcp://" nocase
        $pool2 = "stratum+ssl://" nocase
    condition:
        any of them
}
