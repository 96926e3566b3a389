// The function app on the Flex Consumption plan (Linux, Python 3.11), running as the app's
// user-assigned identity: deployment package, host storage (AzureWebJobsStorage__*), Key Vault
// references and telemetry all authenticate with it. No shared keys anywhere.

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to the plan and the app.')
param tags object

@description('Name of the function app (globally unique).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('azd service name the app is tagged with (azure.yaml services.<name>, host: function).')
param serviceName string = 'api'

@description('Resource id of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Name of the storage account that holds the deployment package.')
param storageAccountName string

@description('Blob container of the deployment package.')
param deploymentContainerName string

@description('App settings (name: value) that are not secrets.')
param appSettings object

@description('Secret app settings (name: versionless Key Vault secret URI), turned into Key Vault references.')
param secretSettings object

@description('Memory of one instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('HTTP requests one instance serves at once (triggers.http.perInstanceConcurrency).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('Always-ready instances of the HTTP trigger group (0: none, scale to zero).')
@minValue(0)
param alwaysReadyHttpInstances int = 0

var keyVaultReferences = toObject(
  items(secretSettings),
  setting => setting.key,
  setting => '@Microsoft.KeyVault(SecretUri=${setting.value})'
)

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'flex-consumption-plan'
  params: {
    name: planName
    location: location
    tags: tags
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
  }
}

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: 'function-app'
  params: {
    name: name
    kind: 'functionapp,linux'
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: plan.outputs.resourceId
    httpsOnly: true
    managedIdentities: {
      userAssignedResourceIds: [
        identityResourceId
      ]
    }
    keyVaultAccessIdentityResourceId: identityResourceId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: 'https://${storageAccountName}.blob.${environment().suffixes.storage}/${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    appSettingsKeyValuePairs: union(appSettings, keyVaultReferences)
  }
}

@description('Name of the function app.')
output name string = site.outputs.name

@description('Default host name of the function app.')
output defaultHostname string = site.outputs.defaultHostname
