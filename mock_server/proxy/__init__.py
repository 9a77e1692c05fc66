"""`calendar-mock proxy`: forward traffic to a Calendar API unchanged and judge every exchange.

One way through: the request is read and judged (request_check), sent upstream (forward), the
answer read and judged (response_check, then rules for what one exchange shows), and answered
back with the verdict in `X-Contract-Violations`; the exchange then goes to the journal, the
report (report) and the HAR file (har). The level (findings.Level) says which rules hold.
"""
