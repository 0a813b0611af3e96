// The SMS connector on Azure: `azd up` creates a resource group holding
//   - a Function App on the Flex Consumption plan (Linux, Python 3.11) with a system-assigned identity,
//   - its Storage account (deployment package container, host state, the campaign-actions queue), reached
//     with that identity only (no shared key),
//   - a Key Vault holding OCTOPUSH_API_KEY, SMSC_WEBHOOK_KEY and SMSC_FORM_KEY, which the app settings
//     reference as @Microsoft.KeyVault(SecretUri=...): the secrets are in no app setting, log or output,
//   - Application Insights on a Log Analytics workspace (Entra ID ingestion only),
// and grants the identity only the roles it needs (infra/app/rbac.bicep says why each one).
// Validate without deploying: `az bicep build --file infra/main.bicep`, `azd provision --preview`.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds the unique names of the resources.')
param environmentName string

@minLength(1)
@description('Region of every resource: one that offers the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@description('The Dataverse organisation, e.g. https://yourorg.crm4.dynamics.com (DATAVERSE_URL).')
param dataverseUrl string

@description('Octopush account e-mail (OCTOPUSH_API_LOGIN).')
param octopushApiLogin string

@secure()
@description('Octopush API key (OCTOPUSH_API_KEY), stored in Key Vault only.')
param octopushApiKey string

@secure()
@minLength(16)
@description('Shared secret Dataverse sends as the x-smsc-webhook-key header (SMSC_WEBHOOK_KEY), stored in Key Vault only.')
param smscWebhookKey string

@secure()
@description('Key the CRM pages send (SMSC_FORM_KEY), different from the webhook key; empty: the pages call no route.')
param smscFormKey string = ''

@description('Octopush API base URL (OCTOPUSH_BASE_URL).')
param octopushBaseUrl string = 'https://api.octopush.com/v1/public'

@description('Most instances the app scales out to (Flex Consumption).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'st${resourceToken}'
    deploymentContainerName: 'app-package-${resourceToken}'
  }
}

module vault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'kv-${resourceToken}'
    octopushApiKey: octopushApiKey
    smscWebhookKey: smscWebhookKey
    smscFormKey: smscFormKey
  }
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'func-smsc-${resourceToken}'
    planName: 'plan-${resourceToken}'
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    maximumInstanceCount: maximumInstanceCount
    dataverseUrl: dataverseUrl
    octopushApiLogin: octopushApiLogin
    octopushBaseUrl: octopushBaseUrl
    octopushApiKeySecretUri: vault.outputs.octopushApiKeySecretUri
    smscWebhookKeySecretUri: vault.outputs.smscWebhookKeySecretUri
    smscFormKeySecretUri: vault.outputs.smscFormKeySecretUri
    withFormKey: !empty(smscFormKey)
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: vault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
@description('The app\'s address: give it to `smsc solution deploy` (with a function key) and to `smsc provider callbacks`.')
output SMSC_FUNCTION_APP_URL string = functionApp.outputs.url
@description('The webhook route, without its function key (az functionapp keys list gives it).')
output SMSC_WEBHOOK_URL string = '${functionApp.outputs.url}/api/dataverse/events'
@description('Object id of the app\'s identity: the Dataverse application user is created for its application id.')
output SMSC_IDENTITY_PRINCIPAL_ID string = functionApp.outputs.principalId
output AZURE_KEY_VAULT_NAME string = vault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
