"""What `calendar-mock serve` prints once it takes connections: the URL and how to log in."""

from __future__ import annotations


def banner(url: str, apikeys: list[str], users: list[dict]) -> str:
    apikey = apikeys[0] if apikeys else "KEY"
    lines = [f"Calendar mock listening on {url}", "", f"  apikey    {apikey}"]
    lines += [f"  user      {u['email']} / {u['password']}  (groups {u['group_ids']})" for u in users]
    if users:
        first = users[0]
        lines += ["", f"  try: curl -u '{first['email']}:{first['password']}' "
                      f"'{url}/api/v1/groups/{first['group_id']}/calendars?apikey={apikey}'"]
    lines += ["", f"  API docs       {url}/_mock/docs  (Try it out calls this mock, logged in)",
              f"  dashboard      {url}/_mock/"]
    lines.append(f"  control plane: {url}/_mock/state  /_mock/requests  POST /_mock/reset")
    return "\n".join(lines)


def base_url(host: str, port: int) -> str:
    """The URL a client uses: IPv6 addresses in brackets, the port the socket really got."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
