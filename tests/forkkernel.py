"""Kernels for the test run, forked from one process that has already imported the libraries.

Every notebook run in the suite (nbval, the second parameter set, the exercises, the mutants,
the sweeps) starts an ``orchestra`` kernel, and each used to start a fresh interpreter and import
the same things again: about 1 s for IPython's kernel and up to 6 s for the kit, pandas,
matplotlib, LangChain, LangGraph and LlamaIndex, some ninety times a run on two cores. Here one
server imports them once, and each kernel is a fork of it: the notebook's own cells, its
``import`` lines included, run as before; the modules are simply already loaded.

    python tests/forkkernel.py serve SOCKET [MODULE ...]  # the server; MODULEs: what it preloads
    python tests/forkkernel.py launch -f CONN    # a kernelspec's argv: a kernel from the server

The launcher is the kernel's process as jupyter_client sees it: it forwards SIGINT (interrupt),
SIGTERM and SIGHUP to the forked kernel and exits with its status; a kernel whose launcher died
(SIGKILL) exits too, so none outlives its manager's view of it. Without a server
(``ORCHESTRA_KERNEL_SERVER`` unset, or nothing listening) the launcher becomes an ordinary
kernel. Only stdlib modules are imported at the top: the launcher starts in milliseconds.

``Server`` starts one with a kernelspec that uses it: conftest.py's for the whole run, and the
browser test's for its JupyterLab, which preloads IPython's kernel only (the notebooks it opens
import the rest themselves, as a learner's do).
"""

from __future__ import annotations

import atexit
import builtins
import importlib
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from types import SimpleNamespace

SERVER = "ORCHESTRA_KERNEL_SERVER"  # the environment variable naming the server's socket
# What the kit's notebooks import. Not what decides at import time from the kernel it finds,
# and there is none in the server: tqdm.auto picks its bars (widgets or text), matplotlib's
# inline backend hooks itself into the kernel's cells (so not pyplot, which loads it).
PRELOAD = [
    *("ipykernel.kernelapp", "ipykernel.ipkernel"),
    "orchestra",
    "anthropic",
    "pandas",
    "matplotlib",
    "nbformat",
    "langchain_anthropic",
    "langchain_core.runnables",
    "langgraph.graph",
    "llama_index.core.workflow",
    "llama_index.llms.anthropic",
]


KERNEL = ["ipykernel.kernelapp", "ipykernel.ipkernel"]  # what every kernel imports first


class Server:
    """A server, and a kernelspec of the ``orchestra`` kernel's name whose launcher uses it.

    ``env`` is what a process that starts kernels needs: the kernelspec's folder first on
    ``JUPYTER_PATH``, and the server's socket. The server exits when its parent does.
    """

    def __init__(self, kernelspec: Path, preload: list[str] = PRELOAD) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="orchestra-kernels-"))
        spec = json.loads(kernelspec.read_text())
        spec["argv"] = [sys.executable, __file__, "launch", "-f", "{connection_file}"]
        folder = self.home / "kernels" / kernelspec.parent.name
        folder.mkdir(parents=True)
        (folder / "kernel.json").write_text(json.dumps(spec))
        sock = str(self.home / "server.sock")
        self.proc = subprocess.Popen([sys.executable, __file__, "serve", sock, *preload])
        paths = [str(self.home), *filter(None, [os.environ.get("JUPYTER_PATH")])]
        self.env = {"JUPYTER_PATH": os.pathsep.join(paths), SERVER: sock}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.home, ignore_errors=True)


def serve(path: str, preload: list[str]) -> None:
    """Import the libraries, then fork a kernel for each launcher that connects, until orphaned."""
    # What ipykernel sets before its first import of matplotlib, set before ours: a forked
    # kernel must draw inline, as a fresh one does.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # pandas sets its display options when imported, by asking IPython whether it runs in a
    # kernel (20 columns) or a terminal (fit the terminal's width): answer as a kernel would.
    builtins.get_ipython = lambda: SimpleNamespace(kernel=True)
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # a library missing here is imported by the kernel that needs it
            pass
    del builtins.get_ipython
    late = ("tqdm.auto", "tqdm.autonotebook", "matplotlib.pyplot", "matplotlib_inline")
    for name in [m for m in sys.modules if m.startswith(late)]:
        del sys.modules[name]
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)  # launchers wait for the name: it appears ready
    selector = selectors.DefaultSelector()  # one thread: nothing else runs when it forks
    selector.register(listener, selectors.EVENT_READ)
    waiting: dict[int, socket.socket] = {}  # kernel pid -> its launcher's connection
    while os.getppid() == parent:
        for _ in selector.select(timeout=0.05):
            conn, _ = listener.accept()
            _, fds, _, _ = socket.recv_fds(conn, 1, 3)
            request = json.loads(conn.makefile("r").readline())
            pid = os.fork()
            if pid == 0:
                selector.close()
                listener.close()
                conn.close()
                kernel(request, fds)  # never returns
            for fd in fds:
                os.close(fd)
            conn.sendall(f"{pid}\n".encode())
            waiting[pid] = conn
        while waiting:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = waiting.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                conn.close()
    os.unlink(path)


def kernel(request: dict, fds: list[int]) -> None:
    """In the forked child: become the kernel the launcher asked for, then exit."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = request["argv"]
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(
                sig, signal.SIG_DFL if sig != signal.SIGINT else signal.default_int_handler
            )
        launcher = request["pid"]
        threading.Thread(target=_exit_with, args=(launcher,), daemon=True).start()
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()  # the notebook's own (a kernel restarted mid-sweep, ...)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _exit_with(launcher: int) -> None:
    """Exit when the launcher is gone (it was killed): its manager thinks the kernel is."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(launcher, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass


def launch(args: list[str]) -> None:
    """Ask the server for a kernel with these arguments; stand in for it until it exits."""
    ordinary = [sys.executable, "-m", "ipykernel_launcher", *args]
    path = os.environ.get(SERVER)
    if not path:
        os.execv(sys.executable, ordinary)
    for _ in range(600):  # the server is still importing: up to a minute
        if os.path.exists(path):
            break
        time.sleep(0.1)
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
    except OSError:
        os.execv(sys.executable, ordinary)
    request = {
        "argv": ["ipykernel_launcher", *args],
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "pid": os.getpid(),
    }
    socket.send_fds(conn, [b"k"], [0, 1, 2])
    conn.sendall((json.dumps(request) + "\n").encode())
    answers = conn.makefile("r")
    pid = int(answers.readline())

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    line = answers.readline()  # "exit N"; empty if the server went away
    code = int(line.split()[1]) if line.startswith("exit ") else 1
    os._exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2], sys.argv[3:])
    elif sys.argv[1:2] == ["launch"]:
        launch(sys.argv[2:])
    else:
        sys.exit(__doc__)
