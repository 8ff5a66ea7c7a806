#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and plays a script against it, as a person would, step by
step: `expect:TEXT` waits until TEXT has been shown, `say:WORD` prints WORD on stderr (a signal to
the test driving this), `type:TEXT` types TEXT and Enter (into a command that may have exited
already: then it is simply lost, as a key pressed too late is). Usage:
  pty-script.py STEP... -- CMD ARGS...
Prints everything the command showed; exits with its exit code (124 on timeout)."""
import fcntl, os, pty, select, struct, sys, termios, time

sep = sys.argv.index('--')
steps = sys.argv[1:sep]
cmd = sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
out = b''
seen = 0  # how much of `out` earlier expects have consumed
closed = False
deadline = time.time() + 90


def read(timeout):
    global out, closed
    if closed:
        return
    r, _, _ = select.select([fd], [], [], timeout)
    if fd in r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b''
        if not chunk:
            closed = True
        out += chunk


for step in steps:
    kind, _, arg = step.partition(':')
    if kind == 'expect':
        while arg.encode() not in out[seen:]:
            if closed or time.time() > deadline:
                break
            read(0.2)
        i = out.find(arg.encode(), seen)
        if i >= 0:
            seen = i + len(arg)
    elif kind == 'say':
        sys.stderr.write(arg + '\n')
        sys.stderr.flush()
    elif kind == 'type':
        try:
            os.write(fd, arg.encode() + b'\r')
        except OSError:
            pass
while not closed and time.time() < deadline:
    read(0.2)
if not closed:
    os.kill(pid, 9)
    sys.stdout.write(out.decode(errors='replace'))
    sys.exit(124)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
