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

# 4. Memory per idle connection: short labels that do not overlap, room
# above the tallest bar, each bar's value written on it, the target labelled.
if (has("idle", "01-echo")) {
    set terminal pngcairo size 640,480 font "sans,11"
    set output dir . "/idle-memory.png"
    set title "server memory per idle connection (10,000 held)"
    idle = "< awk -F'\t' '$1 == \"idle\"' " . tsv
    stats idle using 15 nooutput
    set style data histograms
    set style histogram clustered gap 1
    set style fill solid 0.8 border -1
    set boxwidth 0.7
    set xlabel ""
    set ylabel "bytes of RSS per connection"
    set yrange [0:STATS_max * 1.2]
    set xrange [-0.7:STATS_records - 0.3]
    set xtics scale 0 nomirror
    unset key
    set style textbox opaque noborder margins 1, 1
    set arrow 1 from graph 0, first 1024 to graph 1, first 1024 nohead dt 2 lw 2 lc rgb "#d62728" back
    set label 1 "target for 05: 1 KiB" at graph 0.02, first 1024 left offset 0, 0.8 tc rgb "#d62728" front
    plot idle using 15:xtic(sprintf("lesson %s", substr(strcol(2), 1, 2))) lc rgb "#1f77b4", \
         idle using 0:15:(sprintf("%d B", $15)) with labels boxed offset 0, 0.9 notitle
    unset arrow 1
    unset label 1
    set xrange [*:*]
    set xtics scale default mirror
    unset title
}

# 5. Lessons against their yardsticks (ratios.tsv, written by run.sh): the
# lesson's median divided by the yardstick's, per case; below 1 is cheaper.
ratios = dir . "/ratios.tsv"
if (system("awk 'END { print (NR > 1) }' " . ratios . " 2>/dev/null") + 0) {
    set terminal pngcairo size 1200,600 font "sans,10"
    set output dir . "/vs-yardsticks.png"
    set rmargin 12
    set bmargin 9
    set title "lesson ÷ yardstick (Tokio; epoll-bulk for 01 bulk), medians of one run: below 1.0 the lesson is cheaper"
    set style data histograms
    set style histogram clustered gap 1
    set style fill solid 0.8 border -1
    set boxwidth 0.9
    set key top right
    set ylabel "ratio (cut at 3; taller bars have their value written)"
    set yrange [0:3]
    set xtics rotate by -30 scale 0 font "sans,9"
    set arrow 2 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb "black" front
    plot ratios using 4:xtic(sprintf("%s: %s", substr(strcol(2), 1, 2), strcol(1))) every ::1 title "CPU per message" lc rgb "#1f77b4", \
         ratios using 5 every ::1 title "p99 latency" lc rgb "#ff7f0e", \
         ratios using 6 every ::1 title "memory per connection" lc rgb "#2ca02c", \
         ratios using 0:($4 > 3 ? 2.85 : 1/0):(sprintf("CPU %.1f", $4)) every ::1 with labels boxed notitle, \
         ratios using 0:($5 > 3 ? 2.7 : 1/0):(sprintf("p99 %.1f", $5)) every ::1 with labels boxed notitle, \
         ratios using 0:($6 > 3 ? 2.55 : 1/0):(sprintf("mem %.1f", $6)) every ::1 with labels boxed notitle
    unset arrow 2
    unset rmargin
    unset bmargin
    set xtics norotate font "sans,10"
    unset title
}

# 6. Fan-out at saturation (saturation.tsv): the highest rate at which every
# receiver still gets every line, in order.
sat = dir . "/saturation.tsv"
if (system("awk 'END { print (NR > 1) }' " . sat . " 2>/dev/null") + 0) {
    set terminal pngcairo size 640,480 font "sans,11"
    set output dir . "/saturation.png"
    set title "fan-out at saturation: one sender, every line to every receiver"
    set style data linespoints
    set logscale xy
    set xlabel "receivers"
    set ylabel "highest rate sustained (lines/s from the sender)"
    set yrange [*:*]
    set xrange [5:2000]
    set key top right
    satrows(s) = sprintf("< awk -F'\t' '$1 == \"%s\"' %s", s, sat)
    plot satrows("04-chat-broadcast") using 2:3 ls 1 title "04 chat", \
         satrows("05-shutdown-timeouts-limits") using 2:3 ls 3 title "05 chat", \
         satrows("tokio-chat") using 2:3 ls 2 title "Tokio chat"
    unset logscale
}
