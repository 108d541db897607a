"""Jupyter Server settings of every server on the hub: idle kernels and idle servers are stopped.

Kernels hold the memory a server uses (a lesson's tables and figures), so an idle kernel is shut
down after 30 minutes and an idle terminal after an hour; a server with nothing left running and
no activity for an hour stops itself, and the hub frees its memory and cores. Work is saved in
the notebook files: the learner reopens the notebook and runs its cells again.
"""

c = get_config()  # noqa: F821

c.MappingKernelManager.cull_idle_timeout = 30 * 60   # seconds without activity before a kernel is stopped
c.MappingKernelManager.cull_interval = 5 * 60        # how often idle kernels are looked for
c.MappingKernelManager.cull_connected = True         # a forgotten browser tab does not keep a kernel alive
c.TerminalManager.cull_inactive_timeout = 60 * 60    # idle terminals too
c.TerminalManager.cull_interval = 5 * 60
c.ServerApp.shutdown_no_activity_timeout = 60 * 60   # then the server itself
