"""nbgrader settings of every learner's and trainer's server on a hub.

Read by nbgrader's Assignments tab (fetch, submit, fetch feedback) from JUPYTER_CONFIG_PATH,
which the hub sets to this folder. A trainer's cohort folder has its own nbgrader_config.py
(written by `coursekit cohort init --exchange ... --course-id ...`), which names the same root.
"""

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads the file)

# The shared folder where trainers release exercises and learners submit them. On one server it
# is a local folder; on Kubernetes it is a ReadWriteMany volume mounted at the same path.
c.Exchange.root = "/srv/nbgrader/exchange"

# A learner in two cohorts that both release m01_right_tool gets two folders, not one overwritten:
# fetched exercises go to ~/<course id>/<module>/ (the course id is the cohort's --course-id).
c.Exchange.path_includes_course = True
