// One Container Apps job. Event-driven (trigger Event): KEDA's azure-queue scaler watches the
// kind's storage queue with the app's managed identity and starts one execution per message
// (queueLength 1), up to maxExecutions at once; each execution runs `python -m jobs run <kind>`,
// which works the queue until it is empty (devhost/scaler.py reproduces this contract locally).
// Manual (trigger Manual): started on demand, e.g. the database migrations.

@description('Azure region of the job.')
param location string

@description('Tags applied to the job.')
param tags object

@description('Name of the job (2-32 lowercase letters, digits and hyphens).')
param name string

@description('Job kind, as in shared/jobs/queues.py (speech, extract...), or the task of a manual job.')
param kind string

@description('Event: scaled on queueName; Manual: started on demand (az containerapp job start).')
@allowed([
  'Event'
  'Manual'
])
param trigger string = 'Event'

@description('azd service name the job is tagged with (azure.yaml services.<name>, host: containerapp).')
param serviceName string

@description('Storage queue the job is scaled on (JOB_QUEUE_<KIND>); unused by a manual job.')
param queueName string = ''

@description('Name of the storage account of the queue.')
param storageAccountName string

@description('Most executions running at once (maxExecutions).')
@minValue(1)
param maxExecutions int = 1

@description('Seconds between two polls of the queue (pollingInterval).')
param pollingIntervalSeconds int = 30

@description('Seconds one execution may run before it is stopped (replicaTimeout).')
param replicaTimeoutSeconds int = 1800

@description('Times a failed execution is retried (replicaRetryLimit).')
param replicaRetryLimit int = 0

@description('Run on the "gpu" workload profile instead of "Consumption".')
param useGpu bool = false

@description('CPU cores of one execution, e.g. 2.0.')
param cpu string = '2.0'

@description('Memory of one execution, e.g. 4Gi.')
param memory string = '4Gi'

@description('Container image; azd deploy replaces it.')
param image string

@description('Command of the container (the image\'s entry point is not used).')
param command array = [
  'python'
  '-m'
  'jobs'
  'run'
  kind
]

@description('Resource id of the Container Apps environment.')
param environmentResourceId string

@description('Resource id of the user-assigned identity the job runs as.')
param identityResourceId string

@description('Login server of the registry the image is pulled from with the identity.')
param registryServer string

@description('Environment variables (name: value) that are not secrets.')
param appSettings object

@description('Secret environment variables (name: versionless Key Vault secret URI).')
param secretSettings object

var eventTrigger = {
  parallelism: 1
  replicaCompletionCount: 1
  scale: {
    minExecutions: 0
    maxExecutions: maxExecutions
    pollingInterval: pollingIntervalSeconds
    rules: [
      {
        name: 'queue-length'
        type: 'azure-queue'
        metadata: {
          accountName: storageAccountName
          queueName: queueName
          queueLength: '1'
        }
        identity: identityResourceId
      }
    ]
  }
}
var manualTrigger = {
  parallelism: 1
  replicaCompletionCount: 1
}
var secrets = [
  for setting in items(secretSettings): {
    name: toLower(replace(setting.key, '_', '-'))
    keyVaultUrl: setting.value
    identity: identityResourceId
  }
]
var plainEnv = [
  for setting in items(appSettings): {
    name: setting.key
    value: string(setting.value)
  }
]
var secretEnv = [
  for setting in items(secretSettings): {
    name: setting.key
    secretRef: toLower(replace(setting.key, '_', '-'))
  }
]

module job 'br/public:avm/res/app/job:0.7.2' = {
  name: 'job-${kind}'
  params: {
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    environmentResourceId: environmentResourceId
    workloadProfileName: useGpu ? 'gpu' : 'Consumption'
    triggerType: trigger
    replicaTimeout: replicaTimeoutSeconds
    replicaRetryLimit: replicaRetryLimit
    managedIdentities: {
      userAssignedResourceIds: [
        identityResourceId
      ]
    }
    registries: [
      {
        server: registryServer
        identity: identityResourceId
      }
    ]
    secrets: secrets
    eventTriggerConfig: trigger == 'Event' ? eventTrigger : null
    manualTriggerConfig: trigger == 'Manual' ? manualTrigger : null
    containers: [
      {
        name: 'job'
        image: image
        command: command
        resources: {
          cpu: json(cpu)
          memory: memory
        }
        env: concat(plainEnv, secretEnv)
      }
    ]
  }
}

@description('Name of the job.')
output name string = job.outputs.name
