// Container Apps environment (Consumption profile, plus an optional serverless GPU profile), the
// registry the jobs' images come from (AcrPull for the app's identity, no admin user) and, when
// Qdrant runs here, the Azure Files share that keeps its data.

@description('Azure region of the resources.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Container Apps environment.')
param environmentName string

@description('Name of the container registry (5-50 letters and digits).')
param registryName string

@description('Resource id of the Log Analytics workspace that receives the container logs.')
param logAnalyticsWorkspaceResourceId string

@description('Principal id of the app\'s managed identity (AcrPull).')
param identityPrincipalId string

@description('Workload profile type of an optional serverless GPU profile named "gpu" (e.g. Consumption-GPU-NC8as-T4); empty: none.')
param gpuWorkloadProfileType string = ''

@description('Create the Azure Files share Qdrant keeps its data on, and register it with the environment.')
param deployQdrantStorage bool = false

@description('Name of the storage account of the Qdrant share. Azure Files volumes in Container Apps mount with the account key, so this account is separate from the app\'s (which has shared keys off).')
param qdrantStorageAccountName string

@description('Name of the Azure Files share (and of the environment storage) for Qdrant.')
param qdrantShareName string = 'qdrant'

var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var consumptionProfile = [
  {
    name: 'Consumption'
    workloadProfileType: 'Consumption'
  }
]
var gpuProfile = empty(gpuWorkloadProfileType)
  ? []
  : [
      {
        name: 'gpu'
        workloadProfileType: gpuWorkloadProfileType
      }
    ]

module registry 'br/public:avm/res/container-registry/registry:0.9.0' = {
  name: 'container-registry'
  params: {
    name: registryName
    location: location
    tags: tags
    acrSku: 'Basic'
    acrAdminUserEnabled: false
    publicNetworkAccess: 'Enabled'
    roleAssignments: [
      {
        principalId: identityPrincipalId
        principalType: 'ServicePrincipal'
        roleDefinitionIdOrName: acrPull
      }
    ]
  }
}

module qdrantStorage 'br/public:avm/res/storage/storage-account:0.8.3' = if (deployQdrantStorage) {
  name: 'qdrant-storage'
  params: {
    name: qdrantStorageAccountName
    location: location
    tags: tags
    kind: 'StorageV2'
    skuName: 'Standard_LRS'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true
    minimumTlsVersion: 'TLS1_2'
    fileServices: {
      shares: [
        {
          name: qdrantShareName
          accessTier: 'TransactionOptimized'
          shareQuota: 100
        }
      ]
    }
  }
}

module managedEnvironment 'br/public:avm/res/app/managed-environment:0.13.3' = {
  name: 'container-apps-environment'
  params: {
    name: environmentName
    location: location
    tags: tags
    zoneRedundant: false
    publicNetworkAccess: 'Enabled'
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsWorkspaceResourceId: logAnalyticsWorkspaceResourceId
    }
    workloadProfiles: concat(consumptionProfile, gpuProfile)
    storages: deployQdrantStorage
      ? [
          {
            name: qdrantShareName
            kind: 'SMB'
            accessMode: 'ReadWrite'
            storageAccountName: qdrantStorageAccountName
          }
        ]
      : []
  }
  dependsOn: [
    qdrantStorage
  ]
}

@description('Resource id of the Container Apps environment.')
output environmentResourceId string = managedEnvironment.outputs.resourceId

@description('Name of the Container Apps environment.')
output environmentName string = managedEnvironment.outputs.name

@description('Login server of the container registry.')
output registryLoginServer string = '${registry.outputs.name}${environment().suffixes.acrLoginServer}'

@description('Name of the environment storage that mounts the Qdrant share (empty when none).')
output qdrantStorageName string = deployQdrantStorage ? qdrantShareName : ''
