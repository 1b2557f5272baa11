"""Network guard for tests/test_no_network.py (put this folder first on PYTHONPATH).

Every name lookup and every connection that is not to the loopback interface is recorded
(one JSON line in $QUALCODE_NETGUARD_LOG: pid, what, target, stack head) and refused with an
OSError, in this process and in every Python child that inherits PYTHONPATH. Native threads
(onnxruntime's C++ telemetry) call libc directly; tests/test_no_network.py catches those
with strace where it is present.
"""

import json
import os
import socket
import traceback

_LOG = os.environ.get("QUALCODE_NETGUARD_LOG")
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", "", None}


def _loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host in _LOOPBACK_NAMES:
        return True
    return isinstance(host, str) and (host.startswith("127.") or host == "::1" or host.startswith("::ffff:127."))


def _refuse(what: str, target) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"pid": os.getpid(), "what": what, "target": repr(target),
                                "stack": traceback.format_stack(limit=8)[:-2]}) + "\n")
    raise OSError(f"qualcode netguard: network use refused ({what} {target!r})")


_getaddrinfo = socket.getaddrinfo
_gethostbyname = socket.gethostbyname
_gethostbyname_ex = socket.gethostbyname_ex
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto


def getaddrinfo(host, *args, **kw):
    if not _loopback(host):
        _refuse("getaddrinfo", host)
    return _getaddrinfo(host, *args, **kw)


def gethostbyname(host):
    if not _loopback(host):
        _refuse("gethostbyname", host)
    return _gethostbyname(host)


def gethostbyname_ex(host):
    if not _loopback(host):
        _refuse("gethostbyname_ex", host)
    return _gethostbyname_ex(host)


def _inet_target(sock, address):
    return sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)


def connect(self, address):
    if _inet_target(self, address) and not _loopback(address[0]):
        _refuse("connect", address)
    return _connect(self, address)


def connect_ex(self, address):
    if _inet_target(self, address) and not _loopback(address[0]):
        _refuse("connect_ex", address)
    return _connect_ex(self, address)


def sendto(self, data, *args):
    address = args[-1] if args else None
    if _inet_target(self, address) and not _loopback(address[0]):
        _refuse("sendto", address)
    return _sendto(self, data, *args)


socket.getaddrinfo = getaddrinfo
socket.gethostbyname = gethostbyname
socket.gethostbyname_ex = gethostbyname_ex
socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
socket.socket.sendto = sendto
