// Log Analytics workspace + workspace-based Application Insights (local auth off: the app's
// identity publishes telemetry with Entra ID, APPLICATIONINSIGHTS_AUTHENTICATION_STRING).

@description('Azure region of the resources.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Days the workspace keeps logs.')
param retentionInDays int = 30

@description('Principal id of the managed identity that publishes telemetry (Monitoring Metrics Publisher).')
param publisherPrincipalId string

var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

module workspace 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'log-analytics'
  params: {
    name: logAnalyticsName
    location: location
    tags: tags
    dataRetention: retentionInDays
  }
}

module component 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'app-insights'
  params: {
    name: appInsightsName
    location: location
    tags: tags
    workspaceResourceId: workspace.outputs.resourceId
    disableLocalAuth: true
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, resourceGroup().id, appInsightsName, publisherPrincipalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: publisherPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
  dependsOn: [
    component
  ]
}

@description('Resource id of the Log Analytics workspace.')
output logAnalyticsWorkspaceResourceId string = workspace.outputs.resourceId

@description('Application Insights connection string (no secret: local auth is disabled).')
output appInsightsConnectionString string = appInsights.properties.ConnectionString
