// The Function App on the Flex Consumption plan (FC1, Linux, Python 3.11), with a system-assigned identity.
// Flex takes the runtime and the deployment package from functionAppConfig: FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE are not app settings on this plan.
param location string
param tags object
param name string
param planName string
param storageAccountName string
param deploymentContainerUrl string
param applicationInsightsName string
param maximumInstanceCount int
param dataverseUrl string
param octopushApiLogin string
param octopushBaseUrl string
param octopushApiKeySecretUri string
param smscWebhookKeySecretUri string
param smscFormKeySecretUri string
@description('Whether SMSC_FORM_KEY was given (its secret exists).')
param withFormKey bool = false

@allowed([2048, 4096])
param instanceMemoryMB int = 2048

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

// Secrets are Key Vault references, resolved by the platform with the app's identity (Key Vault Secrets User).
var secretSettings = concat([
  { name: 'OCTOPUSH_API_KEY', value: '@Microsoft.KeyVault(SecretUri=${octopushApiKeySecretUri})' }
  { name: 'SMSC_WEBHOOK_KEY', value: '@Microsoft.KeyVault(SecretUri=${smscWebhookKeySecretUri})' }
], !withFormKey ? [] : [
  { name: 'SMSC_FORM_KEY', value: '@Microsoft.KeyVault(SecretUri=${smscFormKeySecretUri})' }
])

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'connector' })
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat([
        // Host storage through the identity (no connection string, no account key).
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD' }
        { name: 'DATAVERSE_URL', value: dataverseUrl }
        { name: 'SMS_PROVIDER', value: 'octopush' }
        { name: 'OCTOPUSH_API_LOGIN', value: octopushApiLogin }
        { name: 'OCTOPUSH_BASE_URL', value: octopushBaseUrl }
      ], secretSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'python', version: '3.11' }
    }
  }
}

output name string = functionApp.name
output url string = 'https://${functionApp.properties.defaultHostName}'
output principalId string = functionApp.identity.principalId
