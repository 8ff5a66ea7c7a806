#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as a person at a terminal would: waits for each expected
prompt text, then types the answer. Usage: pty-drive.py PROMPT ANSWER -- CMD ARGS...
Prints everything the command showed; exits with the command's exit code (or 124 on timeout)."""
import fcntl, os, pty, select, struct, sys, termios, time

sep = sys.argv.index('--')
expect, answer = sys.argv[1], sys.argv[2]
cmd = sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
# A real terminal has a size; spinners measure it.
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
out = b''
answered = False
deadline = time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if fd in r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not answered and expect.encode() in out:
            os.write(fd, answer.encode() + b'\r')
            answered = True
else:
    os.kill(pid, 9)
    sys.stdout.write(out.decode(errors='replace'))
    sys.exit(124)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
