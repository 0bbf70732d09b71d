"""The web console (Chinese): server-rendered pages over the gateway's API, HTMX for partial
updates and server-sent events for the live sales-control board."""
