/**
 * Schemas of team administration (`/teams`, admin key) and of a team's own record (`/team`, team key).
 */
import { Type, type Static } from '@sinclair/typebox';
import { IsoTime } from '../schemaHelpers.js';

export const CreateTeamBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 155,
      description: 'Display name of the team',
      'x-error-message': 'must be a string of 1 to 155 characters',
    }),
  },
  { additionalProperties: false },
);
export type CreateTeamBody = Static<typeof CreateTeamBody>;

const teamProperties = {
  id: Type.String(),
  name: Type.String(),
  created_at: IsoTime,
  updated_at: IsoTime,
};

export const TeamModel = Type.Object(teamProperties);

/** A team with its signing secret: only in the answer that creates or rotates the secret. */
export const TeamWithSecretModel = Type.Object({
  ...teamProperties,
  signing_secret: Type.String({
    description: 'Key of the x-sluice-signature header of forwarded requests. Shown only in this answer: store it now.',
  }),
});

export const TeamListModel = Type.Object({ count: Type.Integer(), models: Type.Array(TeamModel) });

export const TeamKeyParams = Type.Object({ id: Type.String(), key_id: Type.String() }, { additionalProperties: false });
export type TeamKeyParams = Static<typeof TeamKeyParams>;

export const ApiKeyModel = Type.Object({
  id: Type.String(),
  team_id: Type.String(),
  hint: Type.String({ description: 'The first characters of the key, to recognise it' }),
  created_at: IsoTime,
});

export const NewApiKeyModel = Type.Object({
  id: Type.String(),
  team_id: Type.String(),
  key: Type.String({ description: 'The API key. Shown only in this answer: store it now.' }),
  hint: Type.String(),
  created_at: IsoTime,
});

export const ApiKeyListModel = Type.Object({ count: Type.Integer(), models: Type.Array(ApiKeyModel) });
