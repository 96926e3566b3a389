// Where people look in Azure: a workbook over the platform's telemetry (workbook.json) and alert
// rules on Application Insights (log queries over requests and customMetrics, the tables the
// Azure Monitor distro writes OpenTelemetry server spans and metrics to).

@description('Azure region of the resources.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Application Insights component the rules query.')
param appInsightsName string

@description('Display name of the workbook.')
param workbookName string = 'ML platform'

@description('E-mail address alerts are sent to; empty: the rules fire without notifying anyone.')
param alertEmail string = ''

@description('5xx share of requests above which the error-rate alert fires (0-1).')
param serverErrorShare string = '0.05'

@description('p95 latency of a route, in milliseconds, above which the latency alert fires.')
param p95LatencyMs int = 2000

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appInsightsName, 'ml-platform-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: workbookName
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string(union(loadJsonContent('../workbook.json'), {
      fallbackResourceIds: [
        appInsights.id
      ]
    }))
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-ml-platform'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'mlplatform'
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// One log-query rule per signal; each query returns rows only when the rule should fire.
var rules = [
  {
    name: 'server-error-rate'
    description: 'More than serverErrorShare of requests answered 5xx in the last 5 minutes.'
    severity: 1
    query: 'requests | where timestamp > ago(5m) | summarize total = count(), failed = countif(toint(resultCode) >= 500) | where total > 0 and todouble(failed) / total > ${serverErrorShare}'
  }
  {
    name: 'breaker-open'
    description: 'A circuit breaker opened: a dependency stopped answering.'
    severity: 2
    query: 'customMetrics | where timestamp > ago(5m) and name == "platform.breaker.transitions" and tostring(customDimensions["platform.breaker.state"]) == "open" | summarize opened = sum(valueSum) by breaker = tostring(customDimensions["platform.breaker.name"])'
  }
  {
    name: 'poison-messages'
    description: 'Messages are waiting in a job kind\'s poison queue.'
    severity: 2
    query: 'customMetrics | where timestamp > ago(30m) and name == "platform.jobs.queue.depth" and tostring(customDimensions["platform.job.queue"]) == "poison" and valueMax > 0 | summarize depth = max(valueMax) by kind = tostring(customDimensions["platform.job.kind"])'
  }
  {
    name: 'jobs-failing'
    description: 'Jobs failed in the last 15 minutes.'
    severity: 2
    query: 'customMetrics | where timestamp > ago(15m) and name == "platform.jobs.duration" and tostring(customDimensions["platform.job.outcome"]) == "failed" | summarize failed = sum(valueCount) by kind = tostring(customDimensions["platform.job.kind"])'
  }
  {
    name: 'route-p95-latency'
    description: 'The p95 latency of a route went above p95LatencyMs.'
    severity: 3
    query: 'requests | where timestamp > ago(10m) | summarize p95 = percentile(duration, 95), n = count() by name | where n >= 20 and p95 > ${p95LatencyMs}'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [
  for rule in rules: {
    name: 'alert-${rule.name}'
    location: location
    tags: tags
    properties: {
      displayName: 'ML platform: ${rule.name}'
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        appInsights.id
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: empty(alertEmail) ? [] : [
          actionGroup.id
        ]
      }
    }
  }
]

@description('Resource id of the workbook.')
output workbookId string = workbook.id
