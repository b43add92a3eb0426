"""The clock time limits are read on: sleeping counts, waiting for a CPU does not."""
from __future__ import annotations

import os
import time

from grader.observe.own_time import OwnClock


def test_a_sleeping_process_is_charged_its_sleep():
    clock = OwnClock()
    started = clock.now()
    time.sleep(0.2)
    assert clock.now() - started >= 0.19


def test_a_process_that_cannot_be_read_is_timed_on_the_wall_clock():
    clock = OwnClock(2 ** 30)  # above pid_max: no such process
    assert abs(clock.now() - time.monotonic()) < 0.05


def test_a_forked_child_reads_its_own_entry_not_its_parents():
    clock = OwnClock()
    clock.now()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        clock.now()
        os.write(write, os.readlink(f"/proc/self/fd/{clock._open()}").encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 200).decode() == f"/proc/{pid}/schedstat"
    os.close(read)


def test_a_descriptor_closed_under_the_clock_is_opened_again():
    clock = OwnClock()
    clock.now()
    os.close(clock._open())  # as a student's os.closerange would
    started = clock.now()
    time.sleep(0.05)
    assert 0.04 <= clock.now() - started < 1
