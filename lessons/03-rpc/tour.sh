# Tour stop for lesson 03 (sourced by common/tour.sh).
stop_start "JSON-RPC 2.0: one JSON request per line, one JSON reply per line"
step "A request names a method, its params and an id; the reply carries the same id." \
    send '{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":1}\n' lines 1
step "A notification (no id) runs but is never answered: only the second line gets a reply." \
    send '{"jsonrpc":"2.0","method":"update"}\n{"jsonrpc":"2.0","method":"ping","id":2}\n' lines 1
step "A batch is one line too: an array of replies, in order, notifications left out." \
    send '[{"jsonrpc":"2.0","method":"ping","id":"a"},{"jsonrpc":"2.0","method":"update"},{"jsonrpc":"2.0","method":"get_data","id":"b"}]\n' lines 1
step "Not JSON, then an unknown method: two clear errors, and the connection stays open." \
    send '{"jsonrpc": oops\n{"jsonrpc":"2.0","method":"nope","id":3}\n' lines 2
step "cJSON does not check UTF-8; we do: the byte 0xFF is refused, not echoed back." \
    send '["\xff"]\n' lines 1
step_with lessons/03-rpc/rpc-client --port "$PORT" subtract '{"minuend": 42, "subtrahend": 23}' -- \
    "rpc-client makes one call from the shell: the result on stdout, exit status 0."
step_with lessons/03-rpc/rpc-client --port "$PORT" subtract '[42]' -- \
    "An error reply goes to stderr, with exit status 1."
