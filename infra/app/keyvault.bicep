// The connector's secrets, in a vault with Azure RBAC authorization (no access policies): the app's
// identity reads them as Key Vault Secrets User (rbac.bicep); nobody's key is written in a setting.
// The values come from @secure() parameters: they are not logged by the deployment nor given as outputs.
param location string
param tags object
param name string

@secure()
param octopushApiKey string
@secure()
param smscWebhookKey string
@secure()
param smscFormKey string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource octopushApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'OCTOPUSH-API-KEY'
  properties: { value: octopushApiKey, contentType: 'Octopush API key' }
}

resource smscWebhookKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'SMSC-WEBHOOK-KEY'
  properties: { value: smscWebhookKey, contentType: 'x-smsc-webhook-key header of the Dataverse webhook' }
}

resource smscFormKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(smscFormKey)) {
  parent: vault
  name: 'SMSC-FORM-KEY'
  properties: { value: smscFormKey, contentType: 'x-smsc-webhook-key header of the CRM pages' }
}

output name string = vault.name
// Secret URIs without a version: the app settings follow the latest version of each secret.
output octopushApiKeySecretUri string = octopushApiKeySecret.properties.secretUri
output smscWebhookKeySecretUri string = smscWebhookKeySecret.properties.secretUri
// Built from the vault's address, so that no output depends on a secure parameter (used only when the key is given).
output smscFormKeySecretUri string = '${vault.properties.vaultUri}secrets/SMSC-FORM-KEY'
