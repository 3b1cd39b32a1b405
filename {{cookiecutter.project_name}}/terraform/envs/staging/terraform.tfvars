workspace_host     = "{{ cookiecutter.staging_workspace_host }}"
notification_email = "{{ cookiecutter.notification_email }}"
