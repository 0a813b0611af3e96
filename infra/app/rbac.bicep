// What the app's system-assigned identity may do, and nothing more. Each assignment is scoped to the one
// resource it concerns (never the resource group or the subscription).
param principalId string
param storageAccountName string
param keyVaultName string
param applicationInsightsName string

// Built-in role definition ids (the same in every tenant).
var roles = {
  // Read secret values, nothing else (no listing of keys or certificates, no writes): resolves the
  // @Microsoft.KeyVault(...) references of OCTOPUSH_API_KEY, SMSC_WEBHOOK_KEY and SMSC_FORM_KEY.
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // The Functions host keeps its state in blobs (leases of the timer triggers, keys, the Flex deployment
  // package container it reads at start): identity-based AzureWebJobsStorage requires Blob Data Owner.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // The webhook adds campaign actions to the queue (output binding), the queue trigger reads and deletes
  // them and moves a failing one to the -poison queue: messages and queues, no account management.
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Sends telemetry to Application Insights, whose local authentication is off (Entra ID tokens only).
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
