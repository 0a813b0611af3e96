from connector.configuration import Configuration
from connector.repositories.recipients import RecipientRecord
from connector.repositories.sending import SendingRepositories
from connector.repositories.templates import SmsTemplate
from connector.repositories.users import UserFormat
from tests.fakes.configuration import FakeConfigurationSource
from tests.fakes.optouts import FakeOptOuts
from tests.fakes.recipients import FakeRecipients
from tests.fakes.templates import FakeTemplates
from tests.fakes.users import FakeUsers


def fake_sending(config: Configuration | None = None, *, optouts: set[str] | None = None,
                 users: dict[str, UserFormat] | None = None, templates: tuple[SmsTemplate, ...] = (),
                 recipients: tuple[RecipientRecord, ...] = ()) -> SendingRepositories:
    return SendingRepositories(FakeConfigurationSource(config), FakeOptOuts(optouts), FakeUsers(users),
                               FakeTemplates(*templates), FakeRecipients(*recipients))
