"""A believable demo desk: customers, agents, teams and months of conversations.

`caredesk.demo.generator.demo_seed` fills an empty database so the desk, the metrics and the
benchmarks have something real-looking to work on; `manage.py demo_seed` is its command line.
"""
