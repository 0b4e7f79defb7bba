import { request } from './http';
import type { CreateUserRequest, Paginated, UpdateUserRequest, User, UserListQuery } from './types';

export function listUsers(query: UserListQuery) {
  return request.get<Paginated<User>>('/users', { params: query });
}

export function getUser(id: number) {
  return request.get<User>(`/users/${id}`);
}

/** 409 USERNAME_TAKEN and field errors: the message pops up, the dialog marks the field. */
export function createUser(body: CreateUserRequest) {
  return request.post<User>('/users', body);
}

export function updateUser(id: number, body: UpdateUserRequest) {
  return request.patch<User>(`/users/${id}`, body);
}
