"""dialcheck serve answers every request line with one answer line, and never stops on bad input."""

from __future__ import annotations

import io
import json

from support import node

from dialcheck.conformance.drivers.serve import WireServer, get_served_profiles, serve
from dialcheck.conformance.formats.wire import (
    PROTOCOL,
    Hello,
    encode,
    make_init_request,
    make_new_tasks_request,
    make_task_done_request,
)
from dialcheck.reference.dialstate import create_dialstate
from dialcheck.spec.model import Config, Node, Profile

HELLO = Hello("test", "0", PROTOCOL, ("geth-1.7",))


def _ask(server: WireServer, message: object) -> dict[str, object]:
    answer, _ = server.on_line(json.dumps(message).encode() + b"\n")
    return answer


def _started(config: Config) -> WireServer:
    server = WireServer(create_dialstate, HELLO)
    assert _ask(server, make_init_request(Profile.GETH_1_7, config)) == {"ok": True}
    return server


def test_hello_advertises_the_served_profiles_and_refuses_other_protocols() -> None:
    server = WireServer(create_dialstate, HELLO)
    assert _ask(server, {"op": "hello", "protocol": 1}) == {
        "ok": True,
        "name": "test",
        "version": "0",
        "protocol": 1,
        "profiles": ["geth-1.7"],
    }
    refused = _ask(server, {"op": "hello", "protocol": 2})
    assert refused["ok"] is False and refused["unsupported"] is True


def test_an_unserved_profile_is_unsupported_and_calls_before_init_are_refused() -> None:
    server = WireServer(create_dialstate, HELLO)
    answer = _ask(server, make_init_request(Profile.GETH_1_8, Config("00", 0)))
    assert answer["ok"] is False and answer["unsupported"] is True and "geth-1.8" in str(answer["error"])
    answer = _ask(server, make_new_tasks_request(0, 0, {}, []))
    assert answer == {"ok": False, "error": "no dialstate yet: send init first"}


def test_an_unknown_op_is_unsupported_WIRE_6() -> None:
    answer = _ask(WireServer(create_dialstate, HELLO), {"op": "execute_task", "handle": 1})
    assert answer["ok"] is False and answer["unsupported"] is True


def test_bad_lines_get_a_refusal_naming_the_problem() -> None:
    server = WireServer(create_dialstate, HELLO)
    assert "not JSON" in str(server.on_line(b"{nope\n")[0]["error"])
    answer = _ask(server, {"op": "new_tasks", "now": "soon"})
    assert answer["ok"] is False and "unsupported" not in answer and "$." in str(answer["error"])


def test_a_static_task_keeps_its_handle_when_it_is_returned_again_WIRE_4() -> None:
    server = _started(Config("00", 0, static=(node(1),)))
    first = _ask(server, make_new_tasks_request(0, 0, {}, []))
    tasks = first["tasks"]
    assert isinstance(tasks, list) and len(tasks) == 1 and tasks[0]["flags"] == ["static"]
    handle = tasks[0]["handle"]
    assert _ask(server, make_task_done_request(1, handle, [])) == {"ok": True}
    again = _ask(server, make_new_tasks_request(40 * 10**9, 0, {}, []))
    assert isinstance(again["tasks"], list) and again["tasks"][0]["handle"] == handle


def test_task_done_of_a_handle_that_is_not_outstanding_is_refused() -> None:
    server = _started(Config("00", 0))
    answer = _ask(server, make_task_done_request(0, 99, []))
    assert answer["ok"] is False and "unknown handle 99" in str(answer["error"])


def test_an_implementation_that_raises_is_reported_and_the_server_keeps_serving() -> None:
    def broken(config: Config, profile: Profile) -> object:
        raise RuntimeError("boom")

    server = WireServer(broken, HELLO)  # type: ignore[arg-type]
    answer = _ask(server, make_init_request(Profile.GETH_1_7, Config("00", 0)))
    assert answer == {"ok": False, "error": "the factory raised RuntimeError: boom"}
    assert _ask(server, {"op": "hello", "protocol": 1})["ok"] is True


def test_serve_answers_line_by_line_until_bye() -> None:
    requests: list[dict[str, object]] = [
        {"op": "hello", "protocol": 1},
        make_init_request(Profile.GETH_1_7, Config("00", 2)),
        make_new_tasks_request(0, 0, {}, [Node("0a", "10.0.0.1", 1, 1)]),
        {"op": "bye"},
        {"op": "hello", "protocol": 1},
    ]
    stdin = io.BytesIO(b"".join(encode(r) for r in requests))
    stdout = io.BytesIO()
    assert serve(create_dialstate, HELLO, stdin, stdout) == 0
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert len(answers) == 4 and answers[-1] == {"ok": True}
    assert answers[2]["tasks"] == [
        {"type": "dial", "flags": ["dyn"], "dest": {"id": "0a", "ip": "10.0.0.1", "tcp": 1, "udp": 1}, "handle": 1},
        {"type": "discover", "handle": 2},
    ]


def test_serve_profiles_are_all_profiles_unless_one_is_chosen() -> None:
    assert list(get_served_profiles(None)) == [
        "geth-1.7",
        "geth-1.8",
        "geth-1.9",
        "geth-1.9.7",
        "geth-1.9.11",
        "geth-1.9.14",
        "geth-1.15",
        "geth-1.17.2",
        "geth-1.17.8",
    ]
    assert list(get_served_profiles("geth-1.8")) == ["geth-1.8"]
