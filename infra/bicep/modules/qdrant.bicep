// Optional: Qdrant as a Container App (one replica, data on the environment's Azure Files
// storage). Its ingress is external because the function app on Flex Consumption is not inside
// the Container Apps environment; every request needs the API key, which comes from Key Vault.

@description('Azure region of the app.')
param location string

@description('Tags applied to the app.')
param tags object

@description('Name of the container app.')
param name string

@description('Qdrant image, pinned to a version.')
param image string

@description('Resource id of the Container Apps environment.')
param environmentResourceId string

@description('Name of the Container Apps environment (its default domain gives the URL).')
param environmentName string

@description('Name of the environment storage (Azure Files share) mounted at /qdrant/storage.')
param storageName string

@description('Resource id of the user-assigned identity that reads the API key from Key Vault.')
param identityResourceId string

@description('Versionless URI of the Key Vault secret holding the API key.')
param apiKeySecretUri string

@description('CPU cores of the replica.')
param cpu string = '1.0'

@description('Memory of the replica.')
param memory string = '2Gi'

module app 'br/public:avm/res/app/container-app:0.22.1' = {
  name: 'qdrant'
  params: {
    name: name
    location: location
    tags: tags
    environmentResourceId: environmentResourceId
    workloadProfileName: 'Consumption'
    managedIdentities: {
      userAssignedResourceIds: [
        identityResourceId
      ]
    }
    ingressExternal: true
    ingressTargetPort: 6333
    ingressTransport: 'http'
    ingressAllowInsecure: false
    scaleSettings: {
      minReplicas: 1
      maxReplicas: 1
    }
    secrets: [
      {
        name: 'qdrant-api-key'
        keyVaultUrl: apiKeySecretUri
        identity: identityResourceId
      }
    ]
    volumes: [
      {
        name: 'storage'
        storageType: 'AzureFile'
        storageName: storageName
      }
    ]
    containers: [
      {
        name: 'qdrant'
        image: image
        resources: {
          cpu: json(cpu)
          memory: memory
        }
        env: [
          {
            name: 'QDRANT__SERVICE__API_KEY'
            secretRef: 'qdrant-api-key'
          }
        ]
        volumeMounts: [
          {
            volumeName: 'storage'
            mountPath: '/qdrant/storage'
          }
        ]
      }
    ]
  }
}

resource managedEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' existing = {
  name: environmentName
}

// qdrant-client uses port 6333 unless the URL names one: say 443 explicitly.
@description('URL of the Qdrant REST endpoint (QDRANT_URL).')
output url string = 'https://${app.outputs.name}.${managedEnvironment.properties.defaultDomain}:443'
