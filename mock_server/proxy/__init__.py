"""`calendar-mock proxy`: forward traffic to a Calendar API unchanged and judge every exchange.

One way through: front reads the request and relay takes it; app judges it (request_check) and,
unless --block refuses it, upstream sends it on (its bytes read off a link); app judges the
answer (response_check, then rules, list_rules and write_rules for what one exchange shows) and
relay answers through front with the verdict in `X-Contract-Violations`. Each exchange then
goes to the journal, the report (report) and the HAR file (har). The level (findings.Level)
says which rules hold. The command itself is mock_server.serve.proxy_command.
"""
