// Key Vault (RBAC) holding every secret the app reads. The function app reads them through Key
// Vault references, the jobs through Container Apps Key Vault secrets, both with the app's
// user-assigned identity (Key Vault Secrets User). Secrets that come from other resources (the
// Redis key, the PostgreSQL DSN) are written by the modules that own those resources.

@description('Azure region of the vault.')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Name of the vault (3-24 characters).')
param name string

@description('Principal id of the app\'s managed identity (Key Vault Secrets User).')
param identityPrincipalId string

@description('Object id of the person or pipeline running azd (Key Vault Secrets Officer); empty: none.')
param principalId string = ''

@description('Principal type of principalId.')
param principalType string = 'User'

@description('Turn on purge protection (a deleted vault then stays for the retention period and its name cannot be reused).')
param enablePurgeProtection bool = false

@secure()
@description('Administrator password of the PostgreSQL server, kept so azd reads the same one back on the next provision.')
param postgresAdminPassword string

@secure()
@description('Qdrant API key (QDRANT_API_KEY).')
param qdrantApiKey string

@secure()
@description('Neo4j password (NEO4J_PASSWORD).')
param neo4jPassword string

@secure()
@description('HS256 signing secret of bearer JWTs (AUTH_JWT_SECRET).')
param authJwtSecret string

@secure()
@description('API key of an OpenAI-compatible chat model server (LLM_API_KEY).')
param llmApiKey string

@secure()
@description('API key the AI core presents to remote feature apps (CORE_REMOTE_API_KEY).')
param coreRemoteApiKey string

@secure()
@description('Passwords of the PostgreSQL service roles by service (POSTGRES_<SERVICE>_PASSWORD), stored as postgres-<service>-password.')
param postgresRolePasswords object

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
var identityAssignments = [
  {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionIdOrName: keyVaultSecretsUser
  }
]
var deployerAssignments = [
  {
    principalId: principalId
    principalType: principalType
    roleDefinitionIdOrName: keyVaultSecretsOfficer
  }
]

module vault 'br/public:avm/res/key-vault/vault:0.13.3' = {
  name: 'key-vault'
  params: {
    name: name
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enablePurgeProtection: enablePurgeProtection
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
    roleAssignments: empty(principalId) ? identityAssignments : concat(identityAssignments, deployerAssignments)
  }
}

resource existingVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: name
}

resource postgresAdminPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: existingVault
  name: 'postgres-admin-password'
  properties: {
    value: postgresAdminPassword
  }
  dependsOn: [
    vault
  ]
}

resource qdrantApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: existingVault
  name: 'qdrant-api-key'
  properties: {
    value: qdrantApiKey
  }
  dependsOn: [
    vault
  ]
}

resource neo4jPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: existingVault
  name: 'neo4j-password'
  properties: {
    value: neo4jPassword
  }
  dependsOn: [
    vault
  ]
}

resource authJwtSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: existingVault
  name: 'auth-jwt-secret'
  properties: {
    value: authJwtSecret
  }
  dependsOn: [
    vault
  ]
}

resource llmApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: existingVault
  name: 'llm-api-key'
  properties: {
    value: llmApiKey
  }
  dependsOn: [
    vault
  ]
}

resource coreRemoteApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: existingVault
  name: 'core-remote-api-key'
  properties: {
    value: coreRemoteApiKey
  }
  dependsOn: [
    vault
  ]
}

resource postgresRolePasswordSecrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for role in items(postgresRolePasswords): {
    parent: existingVault
    name: 'postgres-${role.key}-password'
    properties: {
      value: role.value
    }
    dependsOn: [
      vault
    ]
  }
]

var vaultUri = 'https://${name}${environment().suffixes.keyvaultDns}/'

@description('Name of the vault.')
output name string = name

@description('URI of the vault, with a trailing slash.')
output uri string = vaultUri

@description('Versionless URI of the Qdrant API key secret.')
output qdrantApiKeySecretUri string = '${vaultUri}secrets/${qdrantApiKeySecret.name}'

@description('Versionless URI of the Neo4j password secret.')
output neo4jPasswordSecretUri string = '${vaultUri}secrets/${neo4jPasswordSecret.name}'

@description('Versionless URI of the JWT signing secret.')
output authJwtSecretSecretUri string = '${vaultUri}secrets/${authJwtSecretSecret.name}'

@description('Versionless URI of the chat model API key secret.')
output llmApiKeySecretUri string = '${vaultUri}secrets/${llmApiKeySecret.name}'

@description('Versionless URI of the API key the AI core presents to remote feature apps.')
output coreRemoteApiKeySecretUri string = '${vaultUri}secrets/${coreRemoteApiKeySecret.name}'
