"""infra/ (Bicep) and azure.yaml, read as text: the Bicep CLI cannot be installed on these machines, so
this test reads the declarations a broken or leaky template would get wrong — resource types and API
versions, the modules' parameters, the Key Vault references, the identity and its roles, no secret value.
(Where the CLI exists: `az bicep build --file infra/main.bicep` and `azd provision --preview`.)"""
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
BICEP = sorted(INFRA.rglob("*.bicep"))

# API versions that Azure publishes for each type (checked against Microsoft's templates and reference).
KNOWN_API_VERSIONS = {
    "Microsoft.Resources/resourceGroups": {"2021-04-01", "2022-09-01", "2024-03-01"},
    "Microsoft.Web/serverfarms": {"2023-12-01", "2024-04-01"},
    "Microsoft.Web/sites": {"2023-12-01", "2024-04-01"},        # functionAppConfig (Flex) needs 2023-12-01+
    "Microsoft.Storage/storageAccounts": {"2023-01-01", "2023-05-01"},
    "Microsoft.Storage/storageAccounts/blobServices": {"2023-01-01", "2023-05-01"},
    "Microsoft.Storage/storageAccounts/blobServices/containers": {"2023-01-01", "2023-05-01"},
    "Microsoft.Storage/storageAccounts/queueServices": {"2023-01-01", "2023-05-01"},
    "Microsoft.Storage/storageAccounts/queueServices/queues": {"2023-01-01", "2023-05-01"},
    "Microsoft.KeyVault/vaults": {"2023-02-01", "2023-07-01"},
    "Microsoft.KeyVault/vaults/secrets": {"2023-02-01", "2023-07-01"},
    "Microsoft.Insights/components": {"2020-02-02"},
    "Microsoft.OperationalInsights/workspaces": {"2022-10-01", "2023-09-01"},
    "Microsoft.Authorization/roleAssignments": {"2022-04-01"},
}
# Built-in roles by name (Azure's documented ids), and the ones the app's identity must never hold.
BUILT_IN_ROLES = {
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
TOO_BROAD = {"Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
             "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
             "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
             "Storage Account Contributor": "17d1049b-9a84-46fb-8f53-869881c3d3ab"}
SECRETS = {"OCTOPUSH_API_KEY": "octopushApiKey", "SMSC_WEBHOOK_KEY": "smscWebhookKey", "SMSC_FORM_KEY": "smscFormKey"}
RESOURCE = re.compile(r"^resource (\w+) '([\w./]+)@([\w-]+)'( existing)? = (?:if \(.*?\) )?\{", re.M)
PARAM = re.compile(r"((?:^@.*\n)*)^param (\w+) (\w+)(?: = (.*))?$", re.M)
MODULE = re.compile(r"^module (\w+) '([^']+)' = \{", re.M)


def text(path: Path) -> str:
    return path.read_text()


def block(source: str, start: int) -> str:
    """The `{ ... }` opening at or after `start` (Bicep strings hold balanced `${...}` only)."""
    opening = source.index("{", start)
    depth = 0
    for position in range(opening, len(source)):
        depth += {"{": 1, "}": -1}.get(source[position], 0)
        if depth == 0:
            return source[opening:position + 1]
    raise AssertionError("unbalanced braces")


def resources() -> list[dict]:
    found = []
    for path in BICEP:
        source = text(path)
        for match in RESOURCE.finditer(source):
            found.append({"file": path.name, "symbol": match[1], "type": match[2], "version": match[3],
                          "existing": bool(match[4]), "body": block(source, match.end() - 1)})
    return found


def string_literals(source: str) -> list[str]:
    """The single-quoted strings of a Bicep file, comments skipped, `\\'` escapes honoured."""
    literals, current, position = [], None, 0
    while position < len(source):
        char = source[position]
        if current is None:
            if source.startswith("//", position):
                end = source.find("\n", position)
                position = len(source) if end < 0 else end
                continue
            if char == "'":
                current = ""
        elif char == "\\":
            current += source[position + 1]
            position += 1
        elif char == "'":
            literals.append(current)
            current = None
        else:
            current += char
        position += 1
    return literals


def declared(kind: str) -> list[dict]:
    return [r for r in resources() if r["type"] == kind and not r["existing"]]


def params(path: Path) -> dict[str, dict]:
    return {m[2]: {"decorators": m[1], "type": m[3], "default": m[4]} for m in PARAM.finditer(text(path))}


def app_settings() -> dict[str, str]:
    source = text(INFRA / "app" / "function.bicep")
    return dict(re.findall(r"\{ name: '([\w_]+)', value: (.+?) \}\n", source))


def test_every_resource_uses_a_published_api_version():
    found = resources()
    assert found
    for resource in found:
        assert resource["type"] in KNOWN_API_VERSIONS, resource["type"]
        assert resource["version"] in KNOWN_API_VERSIONS[resource["type"]], (resource["type"], resource["version"])
    kinds = {r["type"] for r in found if not r["existing"]}
    assert kinds == set(KNOWN_API_VERSIONS)         # all of them declared: nothing missing, nothing unknown


def test_the_function_app_is_python_on_flex_consumption_with_a_system_assigned_identity():
    [plan] = declared("Microsoft.Web/serverfarms")
    assert "tier: 'FlexConsumption'" in plan["body"] and "name: 'FC1'" in plan["body"] and "reserved: true" in plan["body"]
    [site] = declared("Microsoft.Web/sites")
    body = site["body"]
    assert "kind: 'functionapp,linux'" in body and "identity: { type: 'SystemAssigned' }" in body
    runtime = re.search(r"runtime: \{ name: 'python', version: '3\.(\d+)' \}", body)
    assert runtime and int(runtime[1]) >= 11
    assert "authentication: { type: 'SystemAssignedIdentity' }" in body and "type: 'blobContainer'" in body
    assert "'azd-service-name': 'connector'" in body and "httpsOnly: true" in body


def test_secrets_are_key_vault_references_in_the_app_settings():
    settings = app_settings()
    for setting in SECRETS:
        assert re.fullmatch(r"'@Microsoft\.KeyVault\(SecretUri=\$\{\w+SecretUri\}\)'", settings[setting]), setting
    secret_named = [name for name in settings if re.search(r"KEY|SECRET|PASSWORD|TOKEN", name)]
    assert sorted(secret_named) == sorted(SECRETS)          # any other secret-named setting would be a literal
    assert settings["DATAVERSE_URL"] == "dataverseUrl" and settings["OCTOPUSH_API_LOGIN"] == "octopushApiLogin"
    # Flex takes the runtime from functionAppConfig; these settings are refused on that plan.
    assert not {"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE"} & set(settings)
    # Host storage through the identity: no connection string, no account key.
    assert settings["AzureWebJobsStorage__accountName"] == "storageAccountName"
    assert "AzureWebJobsStorage" not in settings
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "'Authorization=AAD'"
    secrets = {r["body"].split("name: '")[1].split("'")[0] for r in declared("Microsoft.KeyVault/vaults/secrets")}
    assert secrets == {"OCTOPUSH-API-KEY", "SMSC-WEBHOOK-KEY", "SMSC-FORM-KEY"}


def test_the_identity_holds_only_the_named_roles_each_on_its_resource():
    assignments = declared("Microsoft.Authorization/roleAssignments")
    rbac = text(INFRA / "app" / "rbac.bicep")
    role_ids = dict(re.findall(r"^\s+(\w+): '([0-9a-f-]{36})'$", rbac, re.M))
    named = {re.sub(r"\W", "", name).lower(): role for name, role in BUILT_IN_ROLES.items()}
    assert {key.lower(): value for key, value in role_ids.items()} == named     # each id is the role it is named
    scopes = {}
    for assignment in assignments:
        body = assignment["body"]
        role = re.search(r"roleDefinitions', roles\.(\w+)\)", body)[1]
        scopes[role] = re.search(r"scope: (\w+)", body)[1]
        assert "principalId: principalId" in body and "principalType: 'ServicePrincipal'" in body
        assert f"guid({scopes[role]}.id, principalId, roles.{role})" in body
    assert scopes == {"keyVaultSecretsUser": "vault", "storageBlobDataOwner": "storage",
                      "storageQueueDataContributor": "storage", "monitoringMetricsPublisher": "applicationInsights"}
    everything = "\n".join(text(path) for path in BICEP)
    assert not [name for name, role in TOO_BROAD.items() if role in everything]
    assert "scope: resourceGroup()" not in everything and "scope: subscription()" not in everything


def test_the_vault_storage_and_monitoring_accept_entra_id_only():
    [vault] = declared("Microsoft.KeyVault/vaults")
    assert "enableRbacAuthorization: true" in vault["body"] and "accessPolicies" not in vault["body"]
    [storage] = declared("Microsoft.Storage/storageAccounts")
    assert "allowSharedKeyAccess: false" in storage["body"] and "allowBlobPublicAccess: false" in storage["body"]
    [insights] = declared("Microsoft.Insights/components")
    assert "DisableLocalAuth: true" in insights["body"] and "WorkspaceResourceId: logAnalytics.id" in insights["body"]


def test_every_queue_the_app_binds_is_declared_with_its_poison_queue():
    from functions.local_host import registered_functions

    bound = {binding["queueName"] for function in registered_functions()
             for binding in json.loads(function.get_function_json())["bindings"] if "queueName" in binding}
    storage = text(INFRA / "app" / "storage.bicep")
    defaults = dict(re.findall(r"^param (\w+QueueName) string = '([\w-]+)'$", storage, re.M))
    names = [re.search(r"name: (.+)", q["body"])[1] for q in declared("Microsoft.Storage/storageAccounts/queueServices/queues")]
    declared_queues = {defaults[n] if n in defaults else defaults[n[3:-9]] + "-poison" for n in names}
    assert bound and declared_queues == bound | {f"{queue}-poison" for queue in bound}


@pytest.mark.parametrize("path", [INFRA / "main.bicep", INFRA / "app" / "keyvault.bicep"], ids=lambda p: p.name)
def test_secret_parameters_are_secure_without_a_value(path):
    declared_params = params(path)
    for name in SECRETS.values():
        assert "@secure()" in declared_params[name]["decorators"], name
        assert declared_params[name]["default"] in (None, "''"), name


def test_no_secret_literal_and_no_secret_in_outputs():
    everything = "\n".join(text(path) for path in BICEP)
    role_ids = set(BUILT_IN_ROLES.values())
    literals = {literal for path in BICEP for literal in string_literals(text(path))}
    keyish = [s for s in literals if re.fullmatch(r"[A-Za-z0-9+/=_-]{16,}", s) and re.search(r"\d", s)
              and re.search(r"[A-Za-z]", s) and s not in role_ids]
    assert not keyish                                     # nothing that looks like a key, token or password
    assert "listKeys(" not in everything and "AccountKey=" not in everything and "InstrumentationKey=" not in everything
    assert not re.search(r"api-?key['\"]?\s*:\s*'[^'$]", everything, re.I)
    for path in BICEP:
        outputs = re.findall(r"^output \w+ \w+ = (.*)$", text(path), re.M)
        assert not [o for o in outputs if re.search(r"\b(octopushApiKey|smscWebhookKey|smscFormKey)\b", o)], path
    parameters = json.loads(text(INFRA / "main.parameters.json"))["parameters"]
    for name in SECRETS.values():          # from the azd environment (or its prompt), never written here
        assert re.fullmatch(r"\$\{[A-Z_]+=?\}", parameters[name]["value"]), name


def test_modules_exist_and_get_the_parameters_they_declare():
    for path in BICEP:
        source = text(path)
        for match in MODULE.finditer(source):
            target = path.parent / match[2]
            assert target.exists(), target
            given = set(re.findall(r"^    (\w+):", block(source, match.end() - 1), re.M))
            expected = params(target)
            required = {name for name, p in expected.items() if p["default"] is None}
            assert required <= given <= set(expected), (match[1], required - given, given - set(expected))
    main = params(INFRA / "main.bicep")
    parameters = json.loads(text(INFRA / "main.parameters.json"))["parameters"]
    assert {name for name, p in main.items() if p["default"] is None} <= set(parameters)
    assert set(parameters) <= set(main)


def test_outputs_give_the_function_app_url():
    main = text(INFRA / "main.bicep")
    assert "output SMSC_FUNCTION_APP_URL string = functionApp.outputs.url" in main
    assert "output url string = 'https://${functionApp.properties.defaultHostName}'" in text(INFRA / "app" / "function.bicep")


def test_azure_yaml_deploys_the_project_root_as_a_python_function_app():
    config = yaml.safe_load(text(ROOT / "azure.yaml"))
    assert config["services"] == {"connector": {"project": ".", "language": "python", "host": "function"}}
    assert config["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
