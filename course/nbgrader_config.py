"""nbgrader configuration shared by the kit's build, the learner's checker and cohorts.

coursekit loads this file for every nbgrader call and then sets the course root, the
gradebook URL and the kernel limits itself. A trainer's cohort folder gets a copy.
"""

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads the file)

c.CourseDirectory.course_id = "coursekit"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"

# What a learner sees in place of a solution. Plain words for people who are not programmers.
c.ClearSolutions.code_stub = {
    "python": "# YOUR ANSWER HERE: replace this line and the next one with your answer\nraise NotImplementedError()"
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE (write in full sentences)"

# A learner who deletes a test cell still gets it run: nbgrader restores it from the source.
c.OverwriteCells.add_missing_cells = True


# Grading limits (coursekit): the same values apply to `coursekit check`, the check cell at the end of
# every exercise and `coursekit cohort grade`; command-line flags override them for one run.
c.GradingLimits.cell_timeout = 30       # seconds one cell may run
c.GradingLimits.notebook_timeout = 300  # seconds the whole notebook may take
c.GradingLimits.memory_mb = 4096        # memory (address space) of the learner's kernel, MiB
c.GradingLimits.cpu_seconds = 300       # CPU time of the learner's kernel
c.GradingLimits.max_processes = 64      # processes and threads of learner code at once
c.GradingLimits.scratch_mb = 512        # largest file learner code may write, MiB
c.Execute.interrupt_on_timeout = True

# Feedback never shows hidden tests (nbgrader shows them by default, issue #917).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Left out of every release (and of autograding's copy of the source): nbgrader's defaults, and
# the plausible wrong answers that `coursekit build --check` grades (solutions/<id>/wrong_answers.yml).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "wrong_answers.yml"]
