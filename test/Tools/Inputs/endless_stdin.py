"""endless_stdin.py FILE CMD...: runs CMD with FILE's bytes and then zeros
without end on its standard input (a stream that never reaches EOF, which a
shell pipe from /dev/zero would also give, but with SIGPIPE failing the
pipeline), and exits with CMD's status. Stops feeding when CMD exits, and
after 1 GiB at most, so a reader that never stops cannot hang the test."""
import subprocess
import sys

with open(sys.argv[1], "rb") as f:
    head = f.read()
proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE)
try:
    proc.stdin.write(head)
    zeros = bytes(1 << 20)
    for _ in range(1024):
        if proc.poll() is not None:
            break
        proc.stdin.write(zeros)
    proc.stdin.close()
except BrokenPipeError:
    pass
sys.exit(proc.wait())
