"""Teaching: exercises and what instructors run. May use the figures and the numerics.

* ``check``    the exercise checkers learners call (``check.adagrad_step(fn)``)
* ``grading``  grading submissions (command line: ``python -m lrcourse.grade``)
* ``edition``  the student edition (command line: ``python -m lrcourse.student``)
"""
