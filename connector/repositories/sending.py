"""What every send path reads besides the SMS activities themselves."""
from __future__ import annotations

from dataclasses import dataclass

from connector.repositories.configuration import ConfigurationSource
from connector.repositories.optouts import OptOuts
from connector.repositories.recipients import Recipients
from connector.repositories.templates import Templates
from connector.repositories.users import Users


@dataclass(frozen=True)
class SendingRepositories:
    configuration: ConfigurationSource
    optouts: OptOuts
    users: Users
    templates: Templates
    recipients: Recipients
