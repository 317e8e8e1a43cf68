"""WTForms forms, one module per area. Messages are Vietnamese msgids through gettext."""
