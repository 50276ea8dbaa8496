"""Drive wrk (a C load generator) with a Lua script; read its numbers back as JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Appended to every script: wrk calls done() once at the end with the merged statistics.
_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d, ' ..
    '"max": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


@dataclass
class WrkResult:
    name: str
    rps: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int  # socket errors and timeouts
    non_2xx_3xx: int  # wrk counts status >= 400 here

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def lua_string(value: str) -> str:
    """Quote value as a Lua string literal."""
    return json.dumps(value)  # JSON string escapes are valid Lua escapes for our ASCII data


def paths_script(paths: list[str]) -> str:
    """A script that GETs the given paths round-robin from a random start."""
    items = ", ".join(lua_string(p) for p in paths)
    return f"""
local paths = {{{items}}}
local i = 0
init = function(args)
  math.randomseed(os.time())
  i = math.random(#paths)
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def signed_in_script(paths: list[str], cookies: list[str]) -> str:
    """A script that GETs the paths round-robin, each request as the next signed-in reader
    (their Cookie header), so consecutive requests carry different personal state; the two
    counters step independently, so every reader meets every path."""
    items = ", ".join(lua_string(p) for p in paths)
    jar = ", ".join(lua_string(c) for c in cookies)
    return f"""
local paths = {{{items}}}
local cookies = {{{jar}}}
local i, k = 0, 0
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({{}}):match("0x(%x+)") or "0", 16) % 1000)
  i = math.random(#paths)
  k = math.random(#cookies)
end
request = function()
  i = i % #paths + 1
  k = k % #cookies + 1
  if #paths > 1 and k == 1 then i = i % #paths + 1 end
  return wrk.format("GET", paths[i], {{["Cookie"] = cookies[k]}})
end
"""


def bearer_script(path: str, tokens: list[str]) -> str:
    """A script that GETs path with a random bearer token (the API limits per token)."""
    items = ", ".join(lua_string(t) for t in tokens)
    return f"""
local tokens = {{{items}}}
init = function(args) math.randomseed(os.time()) end
request = function()
  local t = tokens[math.random(#tokens)]
  return wrk.format("GET", {lua_string(path)}, {{["Authorization"] = "Bearer " .. t}})
end
"""


def vote_script(sessions: list[tuple[str, str]], idea_ids: list[int]) -> str:
    """A script that POSTs votes (1, 1, -1, 0) as random logged-in users on random ideas."""
    items = ", ".join(f"{{{lua_string(c)}, {lua_string(t)}}}" for c, t in sessions)
    ideas = ", ".join(str(i) for i in idea_ids)
    return f"""
local sessions = {{{items}}}
local ideas = {{{ideas}}}
local values = {{"1", "1", "-1", "0"}}
init = function(args) math.randomseed(os.time()) end
request = function()
  local s = sessions[math.random(#sessions)]
  local idea = ideas[math.random(#ideas)]
  local body = "value=" .. values[math.random(4)] .. "&csrf_token=" .. s[2]
  return wrk.format("POST", "/ideas/" .. idea .. "/vote", {{
    ["Cookie"] = s[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
  }}, body)
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def run(
    name: str,
    base: str,
    script: str,
    *,
    duration: float,
    connections: int,
    threads: int = 2,
) -> WrkResult:
    """Run wrk against base with the script for duration seconds; return its numbers."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + _DONE)
        path = Path(handle.name)
    try:
        done = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration:g}s",
                "--timeout",
                "10s",
                "-s",
                str(path),
                base,
            ],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=True,
        )
    finally:
        path.unlink(missing_ok=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    seconds = data["duration_us"] / 1e6
    return WrkResult(
        name=name,
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50"] / 1000,
        p90_ms=data["p90"] / 1000,
        p95_ms=data["p95"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
        requests=data["requests"],
        errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        non_2xx_3xx=data["status"],
    )
