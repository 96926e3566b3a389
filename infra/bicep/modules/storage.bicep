// The app's storage account: Functions host state, the Flex Consumption deployment package, the
// app's blob containers and the job queues. Shared keys are off: everything authenticates with
// the user-assigned identity (AzureWebJobsStorage__* settings, KEDA scale rules).

@description('Azure region of the account.')
param location string

@description('Tags applied to the account.')
param tags object

@description('Name of the storage account (3-24 lowercase letters and digits).')
param name string

@description('Blob containers to create (the Flex Consumption deployment container and the app\'s containers).')
param containerNames array

@description('Queues to create (job queues and their -poison queues).')
param queueNames array

@description('Principal id of the app\'s managed identity (blob, queue and table data roles).')
param identityPrincipalId string

@description('Object id of the person or pipeline running azd, for debugging access; empty: none.')
param principalId string = ''

@description('Principal type of principalId.')
param principalType string = 'User'

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var appRoles = [
  storageBlobDataOwner
  storageQueueDataContributor
  storageTableDataContributor
]
var identityAssignments = [
  for role in appRoles: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionIdOrName: role
  }
]
var deployerAssignments = [
  for role in appRoles: {
    principalId: principalId
    principalType: principalType
    roleDefinitionIdOrName: role
  }
]

module account 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage-account'
  params: {
    name: name
    location: location
    tags: tags
    kind: 'StorageV2'
    skuName: 'Standard_LRS'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        for container in containerNames: {
          name: container
          publicAccess: 'None'
        }
      ]
    }
    roleAssignments: empty(principalId) ? identityAssignments : concat(identityAssignments, deployerAssignments)
  }
}

resource existingAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: name
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: existingAccount
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queueNames: {
    parent: queueService
    name: queue
    dependsOn: [
      account
    ]
  }
]

@description('Name of the storage account.')
output name string = name

@description('Blob service endpoint (AzureWebJobsStorage__blobServiceUri).')
output blobEndpoint string = 'https://${name}.blob.${environment().suffixes.storage}'

@description('Queue service endpoint (AzureWebJobsStorage__queueServiceUri).')
output queueEndpoint string = 'https://${name}.queue.${environment().suffixes.storage}'

@description('Table service endpoint (AzureWebJobsStorage__tableServiceUri).')
output tableEndpoint string = 'https://${name}.table.${environment().suffixes.storage}'
