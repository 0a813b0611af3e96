// The app's storage: the Flex Consumption deployment package (a blob container), the Functions host's
// state (blobs), the campaign-actions, campaign-parts and provider-events queues with their poison queues. Shared-key access is off: only
// Entra ID identities with a data role reach it (the app's, through rbac.bicep).
param location string
param tags object
param name string
param deploymentContainerName string

@description('The queue the webhook fills with campaign actions (functions/dataverse_events.py CAMPAIGN_QUEUE).')
param campaignQueueName string = 'smsc-campaign-actions'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource campaignQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: campaignQueueName
}

resource campaignPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${campaignQueueName}-poison'
}

@description('The queue the provider callbacks fill (functions/provider_callbacks.py PROVIDER_EVENTS_QUEUE).')
param providerEventsQueueName string = 'smsc-provider-events'

resource providerEventsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: providerEventsQueueName
}

resource providerEventsPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${providerEventsQueueName}-poison'
}

@description('Validate puts one message per campaign part here (connector/repositories/work_queue.py CAMPAIGN_PARTS).')
param campaignPartsQueueName string = 'smsc-campaign-parts'

resource campaignPartsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: campaignPartsQueueName
}

@description('Where the host moves a part that kept failing; its own trigger reports it on the campaign.')
param campaignPartsPoisonQueueName string = 'smsc-campaign-parts-poison'

resource campaignPartsPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: campaignPartsPoisonQueueName
}

// A failure report that could not be written either (the CRM down throughout): the part's lease stays free,
// so the resume timer queues the part again once the campaign's lease has run out.
resource campaignPartsPoisonPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${campaignPartsPoisonQueueName}-poison'
}

output name string = storage.name
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
