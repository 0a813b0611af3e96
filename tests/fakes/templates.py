from connector.errors import NotFound
from connector.repositories.templates import SmsTemplate


class FakeTemplates:
    def __init__(self, *templates: SmsTemplate):
        self.templates = {t.id: t for t in templates}

    def get(self, template_id: str) -> SmsTemplate:
        if template_id not in self.templates:
            raise NotFound(f"the SMS template {template_id} does not exist")
        return self.templates[template_id]

    def published_named(self, name: str) -> SmsTemplate | None:
        return next((t for t in self.templates.values() if t.name == name and t.published), None)
