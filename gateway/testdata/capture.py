"""One deterministic Py4J session against `sockit gateway --demo --trace`,
for recording the wire transcripts under transcripts/ (see
transcript_test.go). Uses one Python thread, hence one connection.

    sockit gateway --demo --trace --mode M --port P 2>trace.txt &
    PYTHONPATH=<py4j>/py4j-python/src python3 capture.py --mode M --port P
"""
import argparse
import gc

from py4j.java_gateway import JavaGateway, GatewayParameters
from py4j.protocol import Py4JJavaError, Py4JError


class Listener(object):
    def __init__(self, gateway):
        self.gateway = gateway

    def notify(self, s):
        if s == "add":
            return "sum=%d" % self.gateway.entry_point.addition(20, 22)
        if s == "raise":
            raise ValueError("the listener refuses")
        return "py:" + s

    class Java:
        implements = ["demo.Listener"]


def session(gw, callbacks):
    ep = gw.entry_point
    assert ep.addition(1, 2) == 3
    assert ep.addition(-7, 2147483647) == 2147483640
    assert ep.concat("a\nb\\c", "\u00e9\u6f22\U0001F600") == "a\nb\\c\u00e9\u6f22\U0001F600"
    assert ep.divide(1.0, 4) == 0.25
    try:
        ep.divide(1, 0)
        raise AssertionError("no error")
    except Py4JJavaError as e:
        assert "division by zero" in str(e)
    assert ep.sumList([1, 2, 3, 2 ** 40]) == 6 + 2 ** 40
    assert ep.echoBytes(bytearray(b"\x00\x01\xfe\xff")) == b"\x00\x01\xfe\xff"
    st = ep.getStack()
    st.push("one")
    st.push("two")
    assert st.size() == 2
    lst = st.getInternalList()
    assert len(lst) == 2
    assert list(lst) == ["one", "two"]
    assert list(lst[1:]) == ["two"]
    assert "one" in lst
    assert st.pop() == "two"
    assert str(st)
    del lst
    del st
    gc.collect()
    try:
        ep.noSuchMethod()
        raise AssertionError("no error")
    except Py4JError as e:
        assert not isinstance(e, Py4JJavaError)
    try:
        ep.addition(1)
        raise AssertionError("no error")
    except Py4JError:
        pass
    if callbacks:
        ln = Listener(gw)
        assert ep.callMeBack(ln, "x") == "py:x"
        assert ep.callMeBack(ln, "add") == "sum=42"
        try:
            ep.callMeBack(ln, "raise")
            raise AssertionError("no error")
        except Py4JJavaError as e:
            assert "the listener refuses" in str(e)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=25333)
    p.add_argument("--python-port", type=int, default=25334)
    p.add_argument("--mode", default="gateway")
    args = p.parse_args()
    if args.mode == "gateway":
        gw = JavaGateway(gateway_parameters=GatewayParameters(
            port=args.port, auto_convert=True))
        session(gw, callbacks=False)
    else:
        from py4j.clientserver import (ClientServer, JavaParameters,
                                       PythonParameters)
        gw = ClientServer(
            java_parameters=JavaParameters(port=args.port, auto_convert=True),
            python_parameters=PythonParameters(port=args.python_port))
        session(gw, callbacks=True)
    gw.shutdown()
    print("ok")


if __name__ == "__main__":
    main()
