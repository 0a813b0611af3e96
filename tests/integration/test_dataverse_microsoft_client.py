"""Microsoft's own Python client for Dataverse (PowerPlatform-Dataverse-Client) against the emulator: it
creates, reads, queries, updates and deletes a contact. The client refuses plain HTTP, so the emulator is
served over TLS with a throwaway self-signed certificate that `requests` is told to trust."""
from __future__ import annotations

import datetime
import ipaddress
import ssl

import pytest
from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PowerPlatform.Dataverse.client import DataverseClient

from emulators.dataverse import DataverseEmulator
from emulators.server import EmulatorServer

TOKEN = "emulator-token"


class EmulatorCredential:
    """An azure-core TokenCredential handing out the emulator's static token."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(datetime.datetime(2100, 1, 1).timestamp()))


@pytest.fixture
def tls(tmp_path, monkeypatch) -> ssl.SSLContext:
    """A server context for 127.0.0.1 whose certificate `requests` trusts (REQUESTS_CA_BUNDLE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "emulator.pem", tmp_path / "emulator.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_file), str(key_file))
    return context


def test_microsofts_client_creates_reads_queries_and_deletes_a_contact(tls):
    emulator, credential = DataverseEmulator(), EmulatorCredential()
    with EmulatorServer(emulator, ssl_context=tls) as server:
        assert server.url.startswith("https://")
        client = DataverseClient(server.url, credential)
        contact_id = client.records.create("contact", {"firstname": "Ada", "lastname": "Lovelace",
                                                       "mobilephone": "+33612345678"})
        record = client.records.retrieve("contact", contact_id, select=["firstname", "lastname", "fullname"])
        assert record.id == contact_id
        assert (record["firstname"], record["fullname"]) == ("Ada", "Ada Lovelace")
        found = client.records.list("contact", filter="lastname eq 'Lovelace'", select=["fullname", "mobilephone"])
        assert [(r["fullname"], r["mobilephone"]) for r in found] == [("Ada Lovelace", "+33612345678")]
        # Pages of two, followed through @odata.nextLink: every contact once.
        everyone = client.records.list("contact", select=["contactid"], page_size=2)
        assert sorted(r["contactid"] for r in everyone) == sorted(c["contactid"] for c in emulator.rows("contacts"))
        assert len(everyone) > 2
        client.records.update("contact", contact_id, {"mobilephone": "+33600000000"})
        assert emulator.get("contacts", contact_id)["mobilephone"] == "+33600000000"
        client.records.delete("contact", contact_id)
        with pytest.raises(KeyError):
            emulator.get("contacts", contact_id)
        # Its table operations: a table's definition, the list of tables, new columns then used.
        info = client.tables.get("contact")
        assert (info.entity_set_name, info.primary_id_attribute) == ("contacts", "contactid")
        assert "contact" in {t["LogicalName"] for t in client.tables.list()}
        assert client.tables.add_columns("contact", {"new_Nickname": "string", "new_Score": "int"}) == [
            "new_Nickname", "new_Score"]
        nick = client.records.create("contact", {"lastname": "Hopper", "new_nickname": "Amazing", "new_score": 3})
        assert client.records.retrieve("contact", nick, select=["new_nickname", "new_score"])["new_score"] == 3
        client.tables.remove_columns("contact", ["new_Score"])
        assert "new_score" not in emulator.schema["contact"].columns
        client.close()
    # It asked the collection form of EntityDefinitions first, with the emulator's token.
    first = emulator.requests[0]
    assert (first.path, first.query["$filter"]) == ("/api/data/v9.2/EntityDefinitions", "LogicalName eq 'contact'")
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in emulator.requests)
    assert credential.scopes and credential.scopes[0][0].startswith(server.url)
