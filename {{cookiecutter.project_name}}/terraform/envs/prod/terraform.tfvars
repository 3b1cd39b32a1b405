workspace_host     = "{{ cookiecutter.prod_workspace_host }}"
notification_email = "{{ cookiecutter.notification_email }}"
