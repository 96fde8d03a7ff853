"""Server-rendered pages (Jinja, phone-sized, work without JavaScript; Plotly charts enhance):
the HTML views of the same domains as :mod:`api.controllers`, one ``PageController`` each.

Every page declares its roles like the API; the same guard applies (401 becomes a redirect to
the sign-in page). Forms post url-encoded data with the CSRF token.
"""
