# bench/plots.gp — PNG plots from results/results.tsv (run.sh calls it with
# -e "dir='results'"). Columns: 1 case, 2 server, 3 x, 4 runs, 5 msgs_per_s,
# 6 mb_per_s, 7 p50_us, 8 p99_us, 9 max_us, 10 errors, 11 cpu_us_per_msg,
# 12 server_cpu_pct, 13 loadgen_cpu_pct, 14 rss_kib, 15 rss_per_conn_b,
# 16 over_40ms (replies that took 40 ms or more).
if (!exists("dir")) dir = "results"
tsv = dir . "/results.tsv"
# rows(case, server): the rows of one case and server, header dropped.
rows(c, s) = sprintf("< awk -F'\t' '$1 == \"%s\" && $2 == \"%s\"' %s", c, s, tsv)
has(c, s) = system(sprintf("awk -F'\t' '$1 == \"%s\" && $2 == \"%s\"' %s | grep -c .", c, s, tsv)) + 0 > 0

set terminal pngcairo size 1100,450 font "sans,10"
set datafile separator "\t"
set grid
set key top left
set style line 1 lc rgb "#d62728" lw 2 pt 7 ps 1.2
set style line 2 lc rgb "#1f77b4" lw 2 pt 5 ps 1.2
set style line 3 lc rgb "#2ca02c" lw 2 pt 9 ps 1.2

# 1. Ping-pong, 64 bytes: every client busy.
if (has("pingpong", "01-echo")) {
    set output dir . "/pingpong.png"
    set multiplot layout 1,2 title "64-byte ping-pong, every connection busy: lesson 01 (poll) vs epoll yardstick"
    set logscale x
    set xlabel "connections"
    set ylabel "messages per second"
    set yrange [0:*]
    plot rows("pingpong", "01-echo") using 3:5 with linespoints ls 1 title "01-echo (poll)", \
         rows("pingpong", "epoll") using 3:5 with linespoints ls 2 title "epoll-echo"
    set ylabel "server CPU per message (µs)"
    plot rows("pingpong", "01-echo") using 3:11 with linespoints ls 1 title "01-echo (poll)", \
         rows("pingpong", "epoll") using 3:11 with linespoints ls 2 title "epoll-echo"
    unset multiplot
    unset logscale
}

# 2. Ten busy clients plus idle ones: what poll() pays per idle connection.
if (has("idle-scan", "01-echo")) {
    set output dir . "/idle-scan.png"
    set multiplot layout 1,2 title "10 busy connections + N idle ones: poll() scans them all, epoll does not"
    set logscale xy
    set xlabel "connections (10 busy, the rest idle)"
    set ylabel "server CPU per message (µs)"
    set yrange [*:*]
    plot rows("idle-scan", "01-echo") using ($3 + 10):11 with linespoints ls 1 title "01-echo (poll)", \
         rows("idle-scan", "epoll") using ($3 + 10):11 with linespoints ls 2 title "epoll-echo"
    set ylabel "messages per second"
    plot rows("idle-scan", "01-echo") using ($3 + 10):5 with linespoints ls 1 title "01-echo (poll)", \
         rows("idle-scan", "epoll") using ($3 + 10):5 with linespoints ls 2 title "epoll-echo"
    unset multiplot
    unset logscale
}

# 3. Chat fan-out latency (lesson 04), when it has been run.
if (has("chat", "04-chat-broadcast")) {
    set terminal pngcairo size 600,450 font "sans,10"
    set output dir . "/chat.png"
    set title "04 chat: one sender at 100 lines/s, N receivers"
    set logscale xy
    set xlabel "receivers"
    set ylabel "delivery latency (µs)"
    set yrange [*:*]
    plot rows("chat", "04-chat-broadcast") using 3:7 with linespoints ls 2 title "p50", \
         rows("chat", "04-chat-broadcast") using 3:8 with linespoints ls 1 title "p99", \
         20000 with lines dt 2 lc rgb "gray" title "target: p99 < 20 ms"
    unset logscale
    unset title
}

# 4. Memory per idle connection.
if (has("idle", "01-echo")) {
    set terminal pngcairo size 600,450 font "sans,10"
    set output dir . "/idle-memory.png"
    set title "server memory per idle connection (10,000 held)"
    set style data histograms
    set style fill solid 0.8
    set boxwidth 0.6
    set xlabel ""
    set ylabel "bytes of RSS per connection"
    set yrange [0:*]
    unset key
    plot "< awk -F'\t' '$1 == \"idle\"' " . tsv using 15:xtic(2) lc rgb "#1f77b4", \
         1024 with lines dt 2 lc rgb "gray" title "target for 05: 1 KiB"
}
