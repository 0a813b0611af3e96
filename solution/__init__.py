"""The CRM side of the connector (not deployed with the function app): the solution definition, its
packaging and installer, and the web resources the forms load."""
