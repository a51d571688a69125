# Sourced by the survey scripts: starts `tls-harness serve --www --format
# json` on a port of its own and reads the port back.
#
# start_serve NAME [SERVE OPTIONS...]: traces go to $out/NAME.jsonl, serve's
# stderr to $out/NAME.serve.log; sets $server (its pid) and $port. Needs
# $harness, $pki and $out.
start_serve() {
    local name=$1
    shift
    # Port 0, read back from serve's announcement: a fixed port may be
    # some other program's ephemeral one. The log exists before serve
    # starts, as the background job opens it in its own time.
    : >"$out/$name.serve.log"
    "$harness" serve --listen 127.0.0.1:0 --cert "$pki/server-rsa2048.chain.pem" \
        --key "$pki/server-rsa2048.key" --www --format json "$@" \
        >"$out/$name.jsonl" 2>"$out/$name.serve.log" &
    server=$!
    port=
    for _ in $(seq 50); do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out/$name.serve.log")
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "serve did not start:" >&2
    cat "$out/$name.serve.log" >&2
    exit 1
}

# stop_serve: ends the server start_serve started.
stop_serve() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}
