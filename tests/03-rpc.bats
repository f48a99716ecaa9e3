#!/usr/bin/env bats
# Lesson 03: JSON-RPC 2.0 over TCP, one JSON text per line.

load helper
bats_require_minimum_version 1.5.0      # for run --separate-stderr

setup() {
    start_server 03-rpc
}

# rpc LINE...: send each LINE and a newline, half-close, and print every
# reply until the server closes. (tcpc reads \n, \\, \0, \xHH in LINE.)
rpc() {
    local args=() line
    for line in "$@"; do args+=(send "$line\\n"); done
    client "${args[@]}" shut eof
}

# ---- The specification's examples (section 7), sent exactly as written,
# each on one line. Our replies come compact and, in batches, in request order.

@test "03: spec: rpc call with positional parameters" {
    run rpc '{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}' \
            '{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}'
    assert_success
    assert_output '{"jsonrpc":"2.0","result":19,"id":1}
{"jsonrpc":"2.0","result":-19,"id":2}'
}

@test "03: spec: rpc call with named parameters" {
    run rpc '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}' \
            '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}'
    assert_output '{"jsonrpc":"2.0","result":19,"id":3}
{"jsonrpc":"2.0","result":19,"id":4}'
}

@test "03: spec: notifications get no reply" {
    run rpc '{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}' \
            '{"jsonrpc": "2.0", "method": "foobar"}' \
            '{"jsonrpc": "2.0", "method": "ping", "id": "after"}'
    assert_output '{"jsonrpc":"2.0","result":"pong","id":"after"}'
}

@test "03: spec: rpc call of non-existent method" {
    run rpc '{"jsonrpc": "2.0", "method": "foobar", "id": "1"}'
    assert_output '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"1"}'
}

@test "03: spec: rpc call with invalid JSON" {
    run rpc '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]'
    assert_output '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
}

@test "03: spec: rpc call with invalid Request object" {
    run rpc '{"jsonrpc": "2.0", "method": 1, "params": "bar"}'
    assert_output '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}'
}

@test "03: spec: rpc call Batch, invalid JSON" {
    run rpc '[ {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method" ]'
    assert_output '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
}

@test "03: spec: rpc call with an empty Array" {
    run rpc '[]'
    assert_output '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}'
}

@test "03: spec: rpc call with an invalid Batch (but not empty)" {
    run rpc '[1]'
    assert_output '[{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}]'
}

@test "03: spec: rpc call with invalid Batch" {
    run rpc '[1,2,3]'
    local e='{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}'
    assert_output "[$e,$e,$e]"
}

@test "03: spec: rpc call Batch, answered in request order" {
    run rpc '[ {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}, {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"}, {"foo": "boo"}, {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"}, {"jsonrpc": "2.0", "method": "get_data", "id": "9"} ]'
    assert_output '[{"jsonrpc":"2.0","result":7,"id":"1"},{"jsonrpc":"2.0","result":19,"id":"2"},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"5"},{"jsonrpc":"2.0","result":["hello",5],"id":"9"}]'
}

@test "03: spec: rpc call Batch (all notifications) gets nothing back" {
    run rpc '[ {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]} ]' \
            '{"jsonrpc":"2.0","method":"ping","id":0}'
    assert_output '{"jsonrpc":"2.0","result":"pong","id":0}'
}

# ---- Our methods and our choices.

@test "03: ping, echo, and the ids: strings, numbers and null come back as sent" {
    run rpc '{"jsonrpc":"2.0","method":"ping","id":"a\\\\b\\"c"}' \
            '{"jsonrpc":"2.0","method":"echo","params":{"x":[true,false,null,"s",{}]},"id":null}' \
            '{"jsonrpc":"2.0","method":"ping","id":-7}' \
            '{"jsonrpc":"2.0","method":"ping","id":1.5}'
    assert_output '{"jsonrpc":"2.0","result":"pong","id":"a\\b\"c"}
{"jsonrpc":"2.0","result":{"x":[true,false,null,"s",{}]},"id":null}
{"jsonrpc":"2.0","result":"pong","id":-7}
{"jsonrpc":"2.0","result":"pong","id":1.5}'
}

@test "03: wrong params are -32602, with a hint in data; the connection goes on" {
    run rpc '{"jsonrpc":"2.0","method":"subtract","params":[1],"id":1}' \
            '{"jsonrpc":"2.0","method":"subtract","params":{"Minuend":1,"subtrahend":2},"id":2}' \
            '{"jsonrpc":"2.0","method":"sum","params":[1,"2"],"id":3}' \
            '{"jsonrpc":"2.0","method":"echo","id":4}' \
            '{"jsonrpc":"2.0","method":"ping","id":5}'
    assert_line --index 0 --partial '"error":{"code":-32602,"message":"Invalid params","data":"subtract takes two numbers'
    assert_line --index 1 --partial '"error":{"code":-32602,'
    assert_line --index 2 '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"sum takes an array of numbers, e.g. [1, 2, 4]"},"id":3}'
    assert_line --index 3 --partial '"code":-32602'
    assert_line --index 4 '{"jsonrpc":"2.0","result":"pong","id":5}'
}

@test "03: invalid requests: wrong jsonrpc, method not a string, bad params, bad id types" {
    local line
    for line in '{"method":"ping","id":1}' '{"jsonrpc":"1.0","method":"ping","id":1}' \
                '{"jsonrpc":2.0,"method":"ping","id":1}' '{"jsonrpc":"2.0","id":1}' \
                '{"jsonrpc":"2.0","method":null,"id":1}' '{"jsonrpc":"2.0","method":["ping"],"id":1}' \
                '{"jsonrpc":"2.0","method":"ping","params":"bar","id":1}' \
                '{"jsonrpc":"2.0","method":"ping","params":3,"id":1}' \
                '{"JSONRPC":"2.0","Method":"ping","id":1}' '"just a string"' 'null' '[[]]'; do
        run rpc "$line"
        assert_output --regexp '^\[?\{"jsonrpc":"2.0","error":\{"code":-32600,"message":"Invalid Request"\},"id":null\}\]?$'
    done
    for line in '{"jsonrpc":"2.0","method":"ping","id":true}' '{"jsonrpc":"2.0","method":"ping","id":{}}' \
                '{"jsonrpc":"2.0","method":"ping","id":[1]}'; do
        run rpc "$line"
        assert_output '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"id must be a string, a number or null"},"id":null}'
    done
}

@test "03: invalid JSON is -32700 and the connection stays open" {
    run rpc '{' '{"a":1} x' '{"a":1}{"b":2}' "{'single':'quotes'}" 'tru' \
            '{"jsonrpc":"2.0","method":"ping","id":1}'
    assert_equal "${#lines[@]}" 6
    local i
    for i in 0 1 2 3 4; do
        assert_line --index "$i" '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
    done
    assert_line --index 5 '{"jsonrpc":"2.0","result":"pong","id":1}'
}

@test "03: huge numbers: ids exact up to 2^53 - 1, larger ids refused, results exact" {
    run rpc '{"jsonrpc":"2.0","method":"ping","id":9007199254740991}' \
            '{"jsonrpc":"2.0","method":"ping","id":-9007199254740991}' \
            '{"jsonrpc":"2.0","method":"ping","id":9007199254740993}' \
            '{"jsonrpc":"2.0","method":"ping","id":1e400}' \
            '{"jsonrpc":"2.0","method":"echo","params":[1e15,9007199254740991,12345678901234567890,0.1,1e400],"id":5}' \
            '{"jsonrpc":"2.0","method":"sum","params":[1e308,1e308],"id":6}' \
            '{"jsonrpc":"2.0","method":"subtract","params":[1e400,1],"id":7}' \
            '{"jsonrpc":"2.0","method":"subtract","params":[3000000000,1.5],"id":8}'
    assert_line --index 0 '{"jsonrpc":"2.0","result":"pong","id":9007199254740991}'
    assert_line --index 1 '{"jsonrpc":"2.0","result":"pong","id":-9007199254740991}'
    assert_line --index 2 '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"id: numbers must be within -9007199254740991..9007199254740991"},"id":null}'
    assert_line --index 3 --partial '"code":-32600'
    assert_line --index 4 '{"jsonrpc":"2.0","result":[1000000000000000,9007199254740991,1.2345678901234567e+19,0.1,null],"id":5}'
    assert_line --index 5 '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"the result is too large for a double"},"id":6}'
    assert_line --index 6 --partial '"code":-32602'
    assert_line --index 7 '{"jsonrpc":"2.0","result":2999999998.5,"id":8}'
}

@test "03: nesting: 1000 levels are fine, 1001 is a parse error (CJSON_NESTING_LIMIT)" {
    local open close
    open=$(printf '%999s' '' | tr ' ' '[')
    close=$(printf '%999s' '' | tr ' ' ']')
    # The request object is one level, so params gets 999 (fine) or 1000.
    run rpc "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":$open$close,\"id\":1}" \
            "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[$open$close],\"id\":2}" \
            "[[$open$close]]" '{"jsonrpc":"2.0","method":"ping","id":3}'
    assert_line --index 0 "{\"jsonrpc\":\"2.0\",\"result\":$open$close,\"id\":1}"
    assert_line --index 1 '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
    assert_line --index 2 '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
    assert_line --index 3 '{"jsonrpc":"2.0","result":"pong","id":3}'
}

@test "03: NUL bytes, control bytes and invalid UTF-8 get -32700 with a reason, never a crash" {
    local req='{"jsonrpc":"2.0","method":"echo","params":["%s"],"id":1}'
    local bad
    for bad in '\0' 'a\0b' '\x01' '\\u0000' '\xff' '\xc0\xaf' '\xed\xa0\x80' '\xe2\x82' '\xf4\x90\x80\x80' '\x80'; do
        # shellcheck disable=SC2059 # the request is the format, on purpose
        run rpc "$(printf "$req" "$bad")"
        assert_output --regexp '^\{"jsonrpc":"2.0","error":\{"code":-32700,"message":"Parse error","data":"(NUL byte|control character|invalid UTF-8|\\\\u0000)[^"]*"\},"id":null\}$'
    done
    # Valid UTF-8, raw or escaped, comes back as UTF-8.
    run rpc '{"jsonrpc":"2.0","method":"echo","params":["\xc3\xa9\xe2\x98\x83\xf0\x9f\x8e\x89","\\u00e9\\ud83c\\udf89\\t"],"id":2}'
    assert_output "$(printf '{"jsonrpc":"2.0","result":["\xc3\xa9\xe2\x98\x83\xf0\x9f\x8e\x89","\xc3\xa9\xf0\x9f\x8e\x89\\t"],"id":2}')"
}

@test "03: a raw TAB or CR inside a string is -32700 (RFC 8259 section 7); between tokens it is whitespace" {
    # tcpc turns \t and \r into the raw bytes; \\ is one backslash. Inside a
    # string a control character must be escaped ("\t" in JSON): cJSON alone
    # would copy the raw byte into the string and answer "a<TAB>b".
    local bad
    for bad in '\t' '\r'; do
        run rpc '{"jsonrpc":"2.0","method":"echo","params":["a'"$bad"'b"],"id":1}'
        assert_output '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":"control character in a string"},"id":null}'
    done
    # The same bytes between tokens are JSON whitespace: a normal request.
    run rpc '{\t"jsonrpc":"2.0",\r"method":"echo",\t"params":["a\\tb"],"id":1\t}'
    assert_output '{"jsonrpc":"2.0","result":["a\tb"],"id":1}'
    # An escaped quote does not end the string: the TAB after it is still inside.
    run rpc '{"jsonrpc":"2.0","method":"echo","params":["a\\"\tb"],"id":1}'
    assert_output '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":"control character in a string"},"id":null}'
}

@test "03: blank lines are ignored; \\r\\n works; a last line without \\n is answered at EOF" {
    run client send '\n  \r\n{"jsonrpc":"2.0","method":"ping","id":1}\r\n\n{"jsonrpc":"2.0","method":"ping","id":2}' shut eof
    assert_output '{"jsonrpc":"2.0","result":"pong","id":1}
{"jsonrpc":"2.0","result":"pong","id":2}'
}

@test "03: a line of 65536 bytes is fine; a longer one gets -32600, then the server closes" {
    local head='{"jsonrpc":"2.0","method":"echo","params":["' tail='"],"id":1}' pad
    pad=$(printf '%*s' $((65536 - ${#head} - ${#tail})) '' | tr ' ' x)
    run client send "$head$pad$tail\\n" lines 1 send "${head}x$pad$tail\\n" send 'never answered\n' eof
    assert_success
    assert_line --index 0 "{\"jsonrpc\":\"2.0\",\"result\":[\"$pad\"],\"id\":1}"
    assert_line --index 1 '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"line longer than 65536 bytes"},"id":null}'
    assert_equal "${#lines[@]}" 2
    wait_for_log "line longer than 65536 bytes; closing"
}

@test "03: the limit holds for a last line at EOF too" {
    head -c 65537 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/long"
    run client file "$BATS_TEST_TMPDIR/long" shut eof
    assert_output '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"line longer than 65536 bytes"},"id":null}'
}

@test "03: the error for an overlong line arrives even while the client keeps sending" {
    head -c 1048576 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/big"
    run client file "$BATS_TEST_TMPDIR/big" eof
    assert_success
    assert_output --partial '"data":"line longer than 65536 bytes"'
}

@test "03: half-close: every request already sent is answered, then the server closes" {
    run client send '{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1}\n[{"jsonrpc":"2.0","method":"ping","id":2}]\n{"jsonrpc":"2.0","method":"ping","id":3}' shut eof
    assert_success
    assert_output '{"jsonrpc":"2.0","result":3,"id":1}
[{"jsonrpc":"2.0","result":"pong","id":2}]
{"jsonrpc":"2.0","result":"pong","id":3}'
}

@test "03: 10,000 pipelined requests are answered in order" {
    seq 10000 | awk '{ printf "{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[%d,1],\"id\":%d}\n", $1, $1 }' \
        >"$BATS_TEST_TMPDIR/in"
    client --timeout "$(waits 3)" file "$BATS_TEST_TMPDIR/in" shut eof >"$BATS_TEST_TMPDIR/out"
    seq 10000 | awk '{ printf "{\"jsonrpc\":\"2.0\",\"result\":%d,\"id\":%d}\n", $1 - 1, $1 }' |
        cmp - "$BATS_TEST_TMPDIR/out"
}

@test "03: a batch of 1000 is answered whole, a batch of 1001 is refused" {
    local one='{"jsonrpc":"2.0","method":"ping","id":7}' batch
    batch="[$(printf "$one,%.0s" $(seq 999))$one]"
    run rpc "$batch" "[$one,${batch:1}"
    assert_equal "${#lines[@]}" 2
    assert_equal "$(grep -o pong <<<"${lines[0]}" | wc -l)" 1000
    assert_line --index 1 '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"a batch holds at most 1000 requests"},"id":null}'
}

@test "03: 50 clients at once each get their own answers" {
    local i pids=()
    for i in $(seq 50); do
        seq 200 | awk -v c="$i" '{ printf "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[%d],\"id\":\"%d-%d\"}\n", c, c, $1 }' \
            >"$BATS_TEST_TMPDIR/in$i"
        client file "$BATS_TEST_TMPDIR/in$i" shut eof >"$BATS_TEST_TMPDIR/out$i" 3>&- &
        pids+=($!)
    done
    wait "${pids[@]}"
    for i in $(seq 50); do
        seq 200 | awk -v c="$i" '{ printf "{\"jsonrpc\":\"2.0\",\"result\":[%d],\"id\":\"%d-%d\"}\n", c, c, $1 }' |
            cmp - "$BATS_TEST_TMPDIR/out$i"
    done
}

@test "03: a client that sends requests but never reads is pushed back, others go on" {
    client --timeout "$(waits 3)" flood 67108864 '{"jsonrpc":"2.0","method":"get_data","id":1}\n' pause 5000 \
        >/dev/null 2>"$BATS_TEST_TMPDIR/flood" 3>&- &
    local flooder=$!
    wait_until grep -q 'flood: wrote' "$BATS_TEST_TMPDIR/flood"
    run cat "$BATS_TEST_TMPDIR/flood"
    local wrote=${output//[!0-9]/}
    [ "$wrote" -lt 67108864 ] || fail "the server read everything: no back-pressure"
    run rpc '{"jsonrpc":"2.0","method":"ping","id":1}'
    assert_output '{"jsonrpc":"2.0","result":"pong","id":1}'
    kill "$flooder"
}

@test "03: a slow reader gets every reply, byte for byte (short writes)" {
    # The client writes requests without reading until the server stops
    # reading it: by then replies fill the server's socket, and a write()
    # took only part of what it was offered (a short write). Then it
    # half-closes and reads everything.
    local req='{"jsonrpc":"2.0","method":"get_data","id":7}' wrote
    client --timeout "$(waits 3)" flood 67108864 "$req\\n" shut eof \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || true
    wrote=$(sed -n 's/^flood: wrote \([0-9]*\) bytes$/\1/p' "$BATS_TEST_TMPDIR/err")
    [ -n "$wrote" ] || fail "the client failed: $(cat "$BATS_TEST_TMPDIR/err")"
    # What it sent: $req and a newline over and over, cut at $wrote bytes;
    # the cut request is answered at EOF, as a parse error.
    awk -v n="$wrote" -v len=$((${#req} + 1)) 'BEGIN {
        for (i = 1; i <= int(n / len); i++) print "{\"jsonrpc\":\"2.0\",\"result\":[\"hello\",5],\"id\":7}"
        if (n % len) print "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}" }' \
        >"$BATS_TEST_TMPDIR/want"
    if ! cmp -s "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"; then
        local at     # (cmp says "line N" where they first differ)
        at=$(cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out" 2>&1 | sed -n 's/.* line \([0-9]*\).*/, different from reply \1 on/p')
        fail "got $(wc -l <"$BATS_TEST_TMPDIR/out" | tr -d ' ') replies, $(wc -l <"$BATS_TEST_TMPDIR/want" | tr -d ' ') expected$at $(grep '^tcpc:' "$BATS_TEST_TMPDIR/err")"
    fi
}

# ---- Real clients.

# bats test_tags=needs-node
@test "03: jayson (a JSON-RPC client library from npm) talks to the server" {
    [ -d "$REPO/node_modules/jayson" ] || fail "jayson is not installed: run make deps"
    run node "$REPO/tests/jayson-client.js" "$PORT"
    assert_success
    refute_output --partial "not ok"
    assert_line "ok - a batch is answered in order, without its notification"
}

# ---- rpc-client, the lesson's own client.

rpc_client() {
    "$(lesson_dir 03-rpc)/rpc-client" --port "$PORT" "$@"
}

@test "03: rpc-client prints the result and exits 0" {
    run rpc_client subtract '[42, 23]'
    assert_success
    assert_output 19
    run rpc_client subtract '{"minuend": 42, "subtrahend": 23}'
    assert_output 19
    run rpc_client echo '{"big": 9007199254740991, "text": "\u00e9"}'
    assert_output '{"big":9007199254740991,"text":"é"}'
    run rpc_client ping
    assert_output '"pong"'
}

# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
@test "03: rpc-client prints an error reply on stderr and exits 1" {
    run --separate-stderr rpc_client subtract '[1]'
    assert_failure 1
    assert_output ''
    assert_equal "$stderr" 'error -32602: Invalid params: subtract takes two numbers: [minuend, subtrahend] or {"minuend": x, "subtrahend": y}'
    run --separate-stderr rpc_client no_such_method
    assert_failure 1
    assert_equal "$stderr" 'error -32601: Method not found'
}

@test "03: rpc-client: bad usage exits 2, no server exits 3" {
    run rpc_client
    assert_failure 2
    assert_output --partial "usage: rpc-client"
    run rpc_client echo '[1] trailing'
    assert_failure 2
    run rpc_client echo '"not an array"'
    assert_failure 2
    run rpc_client --timeout 0 ping
    assert_failure 2
    stop_server
    run rpc_client ping
    assert_failure 3
    assert_output --partial "cannot connect"
}

@test "03: rpc-client --stdin forwards lines and prints every reply" {
    printf '%s\n' '{"jsonrpc":"2.0","method":"ping","id":1}' '{"jsonrpc":"2.0","method":"update"}' \
        '[{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":2},{"jsonrpc":"2.0","method":"notify_hello"}]' \
        'not json' >"$BATS_TEST_TMPDIR/in"
    run rpc_client --stdin <"$BATS_TEST_TMPDIR/in"
    assert_success
    assert_output '{"jsonrpc":"2.0","result":"pong","id":1}
[{"jsonrpc":"2.0","result":3,"id":2}]
{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
}

@test "03: rpc-client --stdin keeps reading replies while it sends (no deadlock)" {
    seq 20000 | awk '{ printf "{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":%d}\n", $1 }' >"$BATS_TEST_TMPDIR/in"
    rpc_client --stdin <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out"
    run wc -l <"$BATS_TEST_TMPDIR/out"
    assert_output 20000
    run tail -1 "$BATS_TEST_TMPDIR/out"
    assert_output '{"jsonrpc":"2.0","result":["hello",5],"id":20000}'
}

# bats test_tags=needs-node
@test "03: rpc-client gives up on a server that never answers (--timeout)" {
    # A listener that accepts and then says nothing at all, and does not
    # close when the client half-closes (allowHalfOpen).
    node -e 'require("net").createServer({ allowHalfOpen: true }, () => {}).listen(0, "127.0.0.1", function () {
        console.log("listening on 127.0.0.1:" + this.address().port) })' >"$BATS_TEST_TMPDIR/silent" 3>&- &
    local silent=$!
    wait_until grep -q '^listening on ' "$BATS_TEST_TMPDIR/silent"
    local silent_port
    silent_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/silent")
    run "$(lesson_dir 03-rpc)/rpc-client" --port "$silent_port" --timeout 1 ping
    assert_failure 3
    assert_output --partial "timed out"
    run "$(lesson_dir 03-rpc)/rpc-client" --port "$silent_port" --timeout 1 --stdin </dev/null
    assert_failure 3
    kill "$silent"
}
