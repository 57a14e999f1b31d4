"""The demo contract of `sockit gateway --demo`, checked with the real Py4J
Python client (py4j on PYTHONPATH; it is not part of sockit).

    python3 acceptance.py --port P --mode gateway|clientserver [--auth-token T] [--callback-port C]

Prints one line per check and a closing "N passed, N failed" line; exits 1
if any check failed. The gateway must be running with the same mode, port
and token; the script starts Python's callback server on --callback-port.
"""
import argparse
import sys
import threading
import traceback

from py4j.java_gateway import (JavaGateway, GatewayParameters,
                               CallbackServerParameters)
from py4j.java_collections import ListConverter
from py4j.protocol import Py4JJavaError, Py4JError
import py4j.version

results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
            print("ok   " + name, flush=True)
        except Exception:  # report and go on
            results.append((name, traceback.format_exc()))
            print("FAIL " + name + "\n" + traceback.format_exc(), flush=True)
        return fn
    return wrap


def expect_error(kind, fn, contains=None):
    try:
        fn()
    except kind as e:
        if contains is not None and contains not in str(e):
            raise AssertionError("error %r lacks %r" % (str(e), contains))
        return e
    raise AssertionError("no %s raised" % kind.__name__)


class Listener(object):
    def __init__(self, gateway):
        self.gateway = gateway
        self.seen = []

    def notify(self, s):
        self.seen.append(s)
        if s == "raise":
            raise ValueError("the listener refuses")
        if s == "add":
            # A call back into the gateway while the gateway waits for us.
            return "sum=%d" % self.gateway.entry_point.addition(20, 22)
        return "py:" + s

    class Java:
        implements = ["demo.Listener"]


def connect(args, auto_convert):
    if args.mode == "gateway":
        return JavaGateway(
            gateway_parameters=GatewayParameters(
                port=args.port, auth_token=args.auth_token,
                auto_convert=auto_convert),
            callback_server_parameters=CallbackServerParameters(
                port=args.callback_port, auth_token=args.auth_token))
    from py4j.clientserver import (ClientServer, JavaParameters,
                                   PythonParameters)
    return ClientServer(
        java_parameters=JavaParameters(
            port=args.port, auth_token=args.auth_token,
            auto_convert=auto_convert),
        python_parameters=PythonParameters(
            port=args.callback_port, auth_token=args.auth_token))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=25333)
    p.add_argument("--callback-port", type=int, default=25334)
    p.add_argument("--mode", default="gateway")
    p.add_argument("--auth-token", default=None)
    p.add_argument("--shutdown", action="store_true",
                   help="end with gateway.shutdown()")
    args = p.parse_args()
    print("py4j %s, mode %s, token %s" % (
        py4j.version.__version__, args.mode,
        "yes" if args.auth_token else "no"), flush=True)

    gw = connect(args, auto_convert=True)
    ep = gw.entry_point

    @check("addition(1, 2) == 3")
    def _():
        assert ep.addition(1, 2) == 3
        assert ep.addition(-5, 2) == -3
        assert ep.addition(2**31 - 2, 1) == 2**31 - 1

    @check("addition overflow and a too-large int are errors")
    def _():
        expect_error(Py4JJavaError, lambda: ep.addition(2**31 - 1, 1), "overflows")
        expect_error(Py4JError, lambda: ep.addition(2**70, 1), "out of range")

    @check("concat: Unicode, escapes, empty, 1 MiB")
    def _():
        assert ep.concat("a", "b") == "ab"
        assert ep.concat("", "") == ""
        s = "line1\nline2\r\\n\\\\ tab\t é ✓ 😀 \x00"
        assert ep.concat(s, "\n") == s + "\n"
        big = "x\\y\n" * (256 * 1024)
        assert ep.concat(big, "!") == big + "!"

    @check("divide: doubles, int coercion, division by zero")
    def _():
        assert ep.divide(1.0, 4.0) == 0.25
        assert ep.divide(1, 3) == 1 / 3
        assert ep.divide(float("inf"), 2) == float("inf")
        e = expect_error(Py4JJavaError, lambda: ep.divide(1, 0))
        assert "division by zero" in str(e), str(e)
        assert e.java_exception.getMessage() == "division by zero"

    @check("sumList: a Python list (auto_convert) and an ArrayList reference")
    def _():
        assert ep.sumList([1, 2, 3]) == 6
        assert ep.sumList([]) == 0
        assert ep.sumList(list(range(1000))) == 499500
        al = gw.jvm.java.util.ArrayList()
        for i in (10, 20, 30):
            al.append(i)
        assert ep.sumList(al) == 60
        conv = ListConverter().convert([4, 5], gw._gateway_client)
        assert ep.sumList(conv) == 9
        expect_error(Py4JError, lambda: ep.sumList(["a"]))

    @check("echoBytes: all 256 values, empty, 1 MiB")
    def _():
        every = bytes(range(256))
        assert ep.echoBytes(every) == every
        assert ep.echoBytes(b"") == b""
        mib = bytes(i * 7 % 256 for i in range(1 << 20))
        assert ep.echoBytes(mib) == mib
        assert ep.echoBytes(bytearray(b"ab")) == b"ab"

    @check("getStack: push, pop, size, pop on empty is an error")
    def _():
        st = ep.getStack()
        assert st.size() == 0
        st.push("a")
        st.push("b")
        assert st.size() == 2
        assert st.pop() == "b"
        assert st.pop() == "a"
        e = expect_error(Py4JJavaError, st.pop)
        assert "empty" in e.java_exception.getMessage()
        assert "Stack[" in str(st)

    @check("getInternalList: len, index, slice, iteration, in")
    def _():
        st = ep.getStack()
        for s in ("x", "y", "z"):
            st.push(s)
        lst = st.getInternalList()
        assert len(lst) == 3
        assert lst[0] == "x" and lst[-1] == "z"
        assert list(lst[0:2]) == ["x", "y"]
        assert list(lst[::-1]) == ["z", "y", "x"]
        assert list(lst) == ["x", "y", "z"]
        assert [s for s in lst] == ["x", "y", "z"]
        assert "y" in lst and "q" not in lst
        assert lst.index("z") == 2
        assert lst.count("x") == 1
        expect_error(IndexError, lambda: lst[3])

    @check("Java collections: ArrayList, HashMap, HashSet")
    def _():
        al = gw.jvm.java.util.ArrayList()
        al.append(1)
        al.extend([2, 3])
        al.insert(0, 0)
        assert list(al) == [0, 1, 2, 3]
        al.reverse()
        assert list(al) == [3, 2, 1, 0]
        al.sort()
        assert list(al + al) == [0, 1, 2, 3] * 2
        del al[0]
        assert list(al) == [1, 2, 3]
        hm = gw.jvm.java.util.HashMap()
        hm["a"] = 1
        hm["b"] = 2
        assert hm["a"] == 1 and len(hm) == 2 and "b" in hm
        assert sorted(hm.keys()) == ["a", "b"]
        del hm["a"]
        assert dict(hm.items()) == {"b": 2}
        hs = gw.jvm.java.util.HashSet()
        hs.add("x")
        hs.add("x")
        hs.add("y")
        assert len(hs) == 2 and "x" in hs
        assert sorted(hs) == ["x", "y"]

    @check("objects: str, ==, hash, dir, help, distinct stacks")
    def _():
        a = ep.getStack()
        b = ep.getStack()
        a.push("1")
        assert a != b
        assert a == a
        assert isinstance(hash(a), int)
        assert "push" in dir(a) and "getInternalList" in dir(a)
        assert a.__doc__ and "push" in a.__doc__

    @check("unknown method and unknown class are Py4JError, not hangs")
    def _():
        expect_error(Py4JError, lambda: ep.noSuchMethod(1))
        e = expect_error(Py4JError, lambda: ep.addition("a", 1))
        assert not isinstance(e, Py4JJavaError)
        expect_error(Py4JError, lambda: gw.jvm.java.lang.StringBuffer())
        assert ep.addition(1, 1) == 2  # the connection is still good

    @check("callMeBack: a Python listener, its errors, and re-entrant calls")
    def _():
        listener = Listener(gw)
        assert ep.callMeBack(listener, "hi") == "py:hi"
        assert ep.callMeBack(listener, "") == "py:"
        assert ep.callMeBack(listener, "é\n✓") == "py:é\n✓"
        assert ep.callMeBack(listener, "add") == "sum=42"
        e = expect_error(Py4JJavaError, lambda: ep.callMeBack(listener, "raise"))
        assert "the listener refuses" in str(e), str(e)
        assert listener.seen == ["hi", "", "é\n✓", "add", "raise"]
        for i in range(50):
            assert ep.callMeBack(listener, str(i)) == "py:" + str(i)

    @check("threads: 4 Python threads call at once")
    def _():
        errors = []

        def work(n):
            try:
                st = ep.getStack()
                for i in range(200):
                    assert ep.addition(n, i) == n + i
                    st.push(str(i))
                assert st.size() == 200
                assert ep.callMeBack(Listener(gw), "t%d" % n) == "py:t%d" % n
            except Exception as e:
                errors.append(e)
        ts = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        assert not errors, errors

    @check("a second client without auto_convert, ArrayList by hand")
    def _():
        gw2 = JavaGateway(gateway_parameters=GatewayParameters(
            port=args.port, auth_token=args.auth_token))
        try:
            al = gw2.jvm.java.util.ArrayList()
            al.add(7)
            al.add(8)
            assert gw2.entry_point.sumList(al) == 15
            # Without auto_convert the client itself cannot send a list.
            expect_error(AttributeError, lambda: gw2.entry_point.sumList([1]))
        finally:
            gw2.close()

    if args.auth_token:
        @check("a client with a wrong or missing token is refused")
        def _():
            from py4j.protocol import Py4JAuthenticationError
            for token in ("wrong " + args.auth_token, None):
                gw3 = JavaGateway(gateway_parameters=GatewayParameters(
                    port=args.port, auth_token=token))
                try:
                    # Py4JAuthenticationError for a wrong token; without one
                    # the gateway answers the first command with an
                    # authentication error (a plain Py4JError).
                    e = expect_error(Py4JError,
                                     lambda: gw3.entry_point.addition(1, 2))
                    if token is not None:
                        assert isinstance(e, Py4JAuthenticationError), repr(e)
                finally:
                    gw3.close()
            # The refusals did not disturb the authenticated client.
            assert ep.addition(2, 3) == 5

    if args.shutdown:
        gw.shutdown()
    else:
        gw.close()
        gw.shutdown_callback_server() if hasattr(gw, "shutdown_callback_server") else None

    failed = [n for n, err in results if err]
    print("%d passed, %d failed" % (len(results) - len(failed), len(failed)), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
