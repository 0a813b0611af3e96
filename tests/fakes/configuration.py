from connector.configuration import Configuration


class FakeConfigurationSource:
    def __init__(self, config: Configuration | None = None):
        self.config = config or Configuration()

    def get(self) -> Configuration:
        return self.config
