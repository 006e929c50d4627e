"""The remote ARM builder's instance lifecycle (`release e2c setup | teardown | status | reap`).

GitLab runs before_script, script and after_script in separate shells, so setup leaves a state
file named after the job for the later phases, as the Docker template's ci_e2c_manager.sh did.
"""
